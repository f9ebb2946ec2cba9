"""The cgroup that holds the learner's commands, where one can be made.

Root with a writable cgroup v2 hierarchy, or v1's ``pids`` one: a fresh cgroup per CLI, which
every command joins before it runs (``contain.child_setup``); nothing its descendants do (a new
session, a scrubbed environment) takes them out of it. A CLI a check started leaves its commands
in the outer CLI's cgroup. ``MLOPS_ROADMAP_CGROUP=off`` turns it off.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

ENV = "MLOPS_ROADMAP_CGROUP"
BASE = Path("/sys/fs/cgroup")
PREFIX = "mlops-roadmap-"


def make(token: str) -> Path | None:
    """A fresh cgroup for this CLI's commands, or None where none can be made (or wanted)."""
    if os.environ.get(ENV, "").lower() in ("off", "0", "no") or os.geteuid() != 0:
        return None
    with contextlib.suppress(OSError):  # a CLI a check started: its commands stay in ours
        if f"/{PREFIX}" in Path("/proc/self/cgroup").read_text():
            return None
    v2 = (BASE / "cgroup.controllers").is_file()
    base = BASE if v2 else BASE / "pids"
    group = base / f"{PREFIX}{os.getpid()}-{token}"
    try:
        group.mkdir()
        (group / "cgroup.procs").read_text()  # a hierarchy that holds processes
    except OSError:
        with contextlib.suppress(OSError):
            group.rmdir()
        return None
    return group


def members(cgroup: Path | None) -> list[int]:
    """The pids in ``cgroup`` (none when there is no cgroup)."""
    if cgroup is None:
        return []
    try:
        return [int(p) for p in (cgroup / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []
