"""Keeping the learner's processes inside the run that started them (Linux).

Every command ``procs`` and ``servers`` start runs in its own process group, which they kill when
the command ends. More layers catch what a group does not:

* **parent-death signal** (every command): ``PR_SET_PDEATHSIG`` makes the command die with the
  CLI, even on kill -9 of the CLI.
* **subreaper** (the CLI, once ``enable``d): ``PR_SET_CHILD_SUBREAPER`` re-parents to the CLI,
  not to init, whatever a command orphans (a double fork with ``setsid``: a daemon), and
  ``reap_orphans`` kills those at the end of each run of checks and when the CLI exits.
* **guard** (the CLI): a small watchdog process (``guard.py``) that outlives the CLI and, when
  the CLI is gone however it ended, kills every process group still running, every process
  carrying this CLI's token in its environment, and the cgroup.
* **cgroup** (``learner_cgroup``), where one can be made: every command joins it, and nothing it
  starts can leave it, not even a process that scrubs its environment; the run's end and the
  guard kill all of it.

Set up on the first command the CLI starts, so `--help` and `status` pay nothing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # `--help` and `status` import this module and never start a command
    import subprocess

TOKEN_ENV = "MLOPS_ROADMAP_RUN"
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36
GUARD = Path(__file__).with_name("guard.py")
GUARD_WAIT = 2.0  # seconds the exiting CLI waits for the guard's last sweep
LOCK = threading.RLock()  # held while a command starts, so a reap never takes it for an orphan


class _Run(NamedTuple):
    token: str
    guard: subprocess.Popen[bytes] | None
    cgroup: Path | None


_enabled = False
_run: _Run | None = None
_prctl: Callable[..., int] | None = None


def enable() -> None:
    """Contain what this process starts from now on (the CLI calls it; libraries do not)."""
    global _enabled
    _enabled = True


def _libc_prctl() -> Callable[..., int] | None:
    global _prctl
    if _prctl is None and sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            _prctl = ctypes.CDLL(None, use_errno=True).prctl
    return _prctl


def _setup() -> _Run | None:
    """The CLI's containment, made once: token, subreaper, cgroup and guard."""
    global _run
    if _run is not None or not _enabled:
        return _run
    import subprocess

    from mlops_roadmap import learner_cgroup

    token = os.urandom(8).hex()
    os.environ[TOKEN_ENV] = token  # every command started from now on carries it
    prctl = _libc_prctl()
    if prctl is not None:
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    cgroup = learner_cgroup.make(token)
    guard = None
    with contextlib.suppress(OSError):
        guard = subprocess.Popen(
            [sys.executable, "-I", "-S", str(GUARD), token, str(cgroup or "")],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            cwd="/",  # it holds no learner folder open
        )
    _run = _Run(token, guard, cgroup)
    return _run


def child_setup() -> Callable[[], None]:
    """The ``preexec_fn`` for a command: dies with the CLI, joins the cgroup."""
    run = _setup()
    prctl = _libc_prctl()
    parent = os.getpid()
    procs = str(run.cgroup / "cgroup.procs") if run and run.cgroup else None

    def setup() -> None:  # in the child, between fork and exec: no imports, no locks
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent:  # the CLI died before the signal was set
                os._exit(1)
        if procs is not None:
            with contextlib.suppress(OSError):
                fd = os.open(procs, os.O_WRONLY)
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)

    return setup


def environment(env: Mapping[str, str] | None) -> dict[str, str] | None:
    """``env`` for a command, carrying this CLI's token (None: inherit ``os.environ``, which
    carries it)."""
    if env is None or _run is None:
        return None if env is None else dict(env)
    return {**env, TOKEN_ENV: _run.token}


def _tell(line: str) -> None:
    run = _run
    if run is None or run.guard is None or run.guard.stdin is None:
        return
    with LOCK, contextlib.suppress(OSError, ValueError):
        run.guard.stdin.write(line.encode())
        run.guard.stdin.flush()


def started(pgid: int) -> None:
    """A command now leads process group ``pgid``: the guard kills it if the CLI dies."""
    _tell(f"+{pgid}\n")


def stopped(pgid: int) -> None:
    """The command leading ``pgid`` was stopped."""
    _tell(f"-{pgid}\n")


def reap_orphans(keep: Collection[int] = ()) -> list[int]:
    """Kill and reap the processes this CLI adopted (and what is left in its cgroup), except
    ``keep``; the pids killed. Nothing when containment is off."""
    run = _run
    if run is None:
        return []
    from mlops_roadmap import learner_cgroup, proctable

    spared = set(keep) | ({run.guard.pid} if run.guard else set())
    killed: list[int] = []
    with LOCK:
        for _ in range(50):  # a killed orphan's own children are adopted next round
            found = [
                p
                for p in (*proctable.children(), *learner_cgroup.members(run.cgroup))
                if p not in spared
            ]
            if not found:
                break
            for pid in found:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            proctable.wait_children(set(found))
    return sorted(set(killed))


def finish() -> None:
    """The CLI is exiting: kill what it adopted, then let the guard sweep and go."""
    run = _run
    if run is None:
        return
    import subprocess

    reap_orphans()
    if run.guard is not None and run.guard.stdin is not None:
        with contextlib.suppress(OSError):
            run.guard.stdin.close()  # the guard's cue
        with contextlib.suppress(subprocess.TimeoutExpired):
            run.guard.wait(timeout=GUARD_WAIT)  # its sweep takes milliseconds when all is gone
