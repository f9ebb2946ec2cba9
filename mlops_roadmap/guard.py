"""The guard: outlives the CLI to stop what the CLI started, however the CLI ended (kill -9 too).

    python -I -S guard.py TOKEN [CGROUP]    (stdin: a pipe only the CLI holds)

Run as a script in its own session, so neither Ctrl-C, a closed terminal nor a signal to the
CLI's process group reaches it; standard library only (``-I -S``: nothing of the workspace on
the path). The CLI writes ``+PGID`` when it starts a command in its own process group and
``-PGID`` once it has stopped it. When the pipe closes (the CLI exited, normally or killed), the
guard kills every group still announced, every process whose environment carries ``TOKEN`` (a
daemon that left its group and session keeps its environment), and everything in ``CGROUP``
(nothing leaves a cgroup), then removes the cgroup and exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

ENV = "MLOPS_ROADMAP_RUN"  # the variable holding the token (contain.TOKEN_ENV)
ROUNDS = 50  # sweeps at most: a process forking while it is killed leaves a child for the next


def carries(pid: str, needle: bytes) -> bool:
    """Whether process ``pid``'s environment holds ``needle`` (False when it cannot be read)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return needle in f.read().split(b"\0")
    except OSError:
        return False


def members(cgroup: str) -> list[int]:
    if not cgroup:
        return []
    try:
        with open(os.path.join(cgroup, "cgroup.procs")) as f:
            return [int(pid) for pid in f.read().split()]
    except (OSError, ValueError):
        return []


def sweep(groups: set[int], token: str, cgroup: str) -> int:
    """Kill one round of what is left; how many processes were signalled."""
    me, needle = os.getpid(), f"{ENV}={token}".encode()
    hit = 0
    for group in groups:
        with contextlib.suppress(OSError):
            os.killpg(group, signal.SIGKILL)
            hit += 1
    tagged = [int(p) for p in os.listdir("/proc") if p.isdigit() and carries(p, needle)]
    for pid in {*tagged, *members(cgroup)} - {me}:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            hit += 1
    return hit


def main() -> int:
    for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(signum, signal.SIG_IGN)
    token = sys.argv[1]
    cgroup = sys.argv[2] if len(sys.argv) > 2 else ""
    groups: set[int] = set()
    for line in sys.stdin.buffer:  # until the CLI is gone
        with contextlib.suppress(ValueError):
            pgid = int(line[1:])
            (groups.add if line[:1] == b"+" else groups.discard)(pgid)
    for _ in range(ROUNDS):
        if not sweep(groups, token, cgroup):
            break
        groups = set()  # a group is gone once its members are: what is left has the token
        time.sleep(0.02)
    if cgroup:
        for _ in range(ROUNDS):  # killed members leave the cgroup once the kernel reaped them
            with contextlib.suppress(OSError):
                os.rmdir(cgroup)
            if not os.path.isdir(cgroup):
                break
            time.sleep(0.02)
    return 0


if __name__ == "__main__":
    sys.exit(main())
