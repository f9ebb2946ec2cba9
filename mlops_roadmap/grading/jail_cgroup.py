"""Ceilings on the jail as a whole, from a cgroup where the grader may make one.

Rlimits hold each process alone: 256 processes of 3 GB each would still be allowed, and CPU time
is not CPU share. A cgroup holds the submission's processes together: memory (tmpfs included),
process count and CPU share (``Limits.cpus``). cgroup v2 (one hierarchy) or v1 (one per
controller) as the machine has it; when neither is writable the jail runs without one, and its
description does not claim it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from mlops_roadmap.grading.model import Limits

BASE = Path("/sys/fs/cgroup")
PARENT = "mlops-roadmap-jail"
PERIOD = 100_000  # microseconds: the CPU quota is cpus x PERIOD per PERIOD


@dataclass(frozen=True)
class Group:
    """One job's cgroup: a folder per hierarchy (one under v2)."""

    dirs: tuple[Path, ...]
    words: str  # for the jail's description

    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]


def create(name: str, limits: Limits) -> Group | None:
    """A fresh cgroup with the job's limits, or None where none can be made (then none is used).

    ``name`` must be this run's alone (the jail names it after the uid it holds).
    """
    if os.geteuid() != 0 or not BASE.is_dir():
        return None
    v2 = (BASE / "cgroup.controllers").is_file()
    dirs = (
        [BASE / PARENT / name]
        if v2
        else [BASE / c / PARENT / name for c in ("memory", "pids", "cpu")]
    )
    remove(Group(tuple(dirs), ""))  # one a dead grader left under this (now held) name
    try:
        for folder in dirs:
            folder.mkdir(parents=True, exist_ok=True)
        if v2:
            _v2(dirs[0], limits)
        else:
            _v1(dirs, limits)
    except OSError:
        remove(Group(tuple(dirs), ""))
        return None
    cpus = f"{limits.cpus:g} CPU" + ("" if limits.cpus == 1 else "s")
    words = f"cgroup {limits.memory_mb} MB/{limits.processes} pids/{cpus}"
    return Group(tuple(dirs), words)


def _v2(group: Path, limits: Limits) -> None:
    (group.parent / "cgroup.subtree_control").write_text("+memory +pids +cpu")
    _write(group, "memory.max", limits.memory_mb << 20)
    _write(group, "pids.max", limits.processes)
    (group / "cpu.max").write_text(f"{int(limits.cpus * PERIOD)} {PERIOD}")
    with contextlib.suppress(OSError):  # no swap accounting: nothing to cap
        _write(group, "memory.swap.max", 0)


def _v1(dirs: list[Path], limits: Limits) -> None:
    memory, pids, cpu = dirs
    _write(memory, "memory.limit_in_bytes", limits.memory_mb << 20)
    with contextlib.suppress(OSError):  # only where swap is accounted
        _write(memory, "memory.memsw.limit_in_bytes", limits.memory_mb << 20)
    _write(pids, "pids.max", limits.processes)
    _write(cpu, "cpu.cfs_period_us", PERIOD)
    _write(cpu, "cpu.cfs_quota_us", int(limits.cpus * PERIOD))


def _write(group: Path, name: str, value: int) -> None:
    (group / name).write_text(str(value))


def remove(group: Group, patience: float = 5.0) -> None:
    """Kill whatever is still in the cgroup, then remove it."""
    deadline = time.monotonic() + patience
    for folder in group.dirs:
        while folder.is_dir():
            with contextlib.suppress(OSError):
                for pid in (folder / "cgroup.procs").read_text().split():
                    with contextlib.suppress(OSError):
                        os.kill(int(pid), signal.SIGKILL)
                folder.rmdir()
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
