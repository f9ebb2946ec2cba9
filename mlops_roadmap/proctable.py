"""Reading the process table (Linux ``/proc``): this process's children, the processes holding
a pipe, reaping what was killed."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Collection


def children() -> list[int]:
    """The pids whose parent is this process."""
    me = str(os.getpid())
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit() and parent(name) == me:
            found.append(int(name))
    return found


def parent(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[1].decode()
    except (OSError, IndexError):
        return ""


def kill_holders(streams: Collection[int]) -> list[int]:
    """Kill the processes (other than this one) holding a pipe of ``streams`` (file
    descriptors): what a finished command left behind outside its group, still writing to its
    output. The pids killed."""
    pipes = set()
    for fd in streams:
        with contextlib.suppress(OSError):
            pipes.add(f"pipe:[{os.fstat(fd).st_ino}]")
    me, killed = str(os.getpid()), []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == me:
            continue
        with contextlib.suppress(OSError):
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(link(f"/proc/{pid}/fd/{fd}") in pipes for fd in fds):
                os.kill(int(pid), signal.SIGKILL)
                killed.append(int(pid))
    return killed


def link(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


def wait_children(pids: set[int]) -> None:
    """Reap those of ``pids`` that are this process's children (they are dying)."""
    deadline = time.monotonic() + 5
    mine = {p for p in pids if parent(str(p)) == str(os.getpid())}
    while mine and time.monotonic() < deadline:
        for pid in list(mine):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                mine.discard(pid)
        if mine:
            time.sleep(0.01)
