"""What the process jail holds: its mounts, environment and limits, decided on the grader's side.

The plan is a ``jail_spec.JailPlan``, handed to ``jail_setup.py`` as JSON. Everything the checks
need is bound read-only at the path it has on the host (system folders, this interpreter, its
virtual environment, this package, the course's graded parts, never its ``solutions/``); the
results folder is the only writable bind; the submission is a copy in a size-limited tmpfs of
its own, and temporary space is one more size-limited tmpfs.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

from mlops_roadmap.course import GRADED_PARTS
from mlops_roadmap.grading.jail_spec import MODES, Bind, Copy, JailMode, JailPlan, Link, Rlimit
from mlops_roadmap.grading.model import Limits
from mlops_roadmap.grading.sandbox import Job

FIRST_UID = 60000  # slot N runs as uid FIRST_UID + N, or the next one no other run holds
LAST_UID = 60999
SUBMISSION, RESULTS, HOME = "/submission", "/results", "/home/grader"  # as the container has them
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
# Address space beyond limits.memory_mb: interpreters, numpy/OpenBLAS and thread stacks reserve
# far more than they touch (importing sklearn and pandas reserves 580 MB to use 180 MB; week 2's
# checks pass with a 600 MB ceiling and fail with 500 MB).
HEADROOM_MB = 1024
KEPT_ENV = ("LANG", "LC_ALL", "TZ")


def as_mode(mode: str) -> JailMode:
    """``mode`` as a jail mode, or a ValueError saying which there are."""
    for known in MODES:
        if mode == known:
            return known
    raise ValueError(f"unknown jail mode {mode!r}: choose one of {', '.join(MODES)}")


def refused(mode: str) -> str:
    """Why ``mode`` cannot be used by this grader ("" when it can)."""
    if mode not in MODES:
        return f"unknown jail mode {mode!r}: choose one of {', '.join(MODES)}"
    if mode == "userns" and os.geteuid() == 0:
        # Mapped from root, the jail's processes would own the host's root files (/proc/sys...).
        return "the userns jail is for a grader that is not root; as root use namespaces"
    return ""


def places(job: Job, mode: JailMode) -> tuple[str, str]:
    """The submission and the results folder as the jailed command sees them."""
    if mode == "plain":
        return str(job.submission), str(results_dir(job))
    return SUBMISSION, RESULTS


def results_dir(job: Job) -> Path:
    return job.scratch / "results"


def switches_uid(mode: JailMode) -> bool:
    """Whether the command runs as the slot's own uid (only root can switch)."""
    return mode != "userns" and os.geteuid() == 0


def make(
    job: Job,
    args: list[str],
    mode: JailMode,
    course_root: Path,
    uid: int,
    from_home: bool = False,
    stdin: str = "",
) -> JailPlan:
    """The whole plan for ``jail_setup.py``; the command runs as ``uid`` (and gid), in the
    submission, or in the jail's home when ``from_home``, with ``stdin`` as its input."""
    home, tmp = (
        (HOME, "/tmp") if mode != "plain" else (str(job.scratch / s) for s in ("home", "tmp"))
    )
    links, binds = system_binds()
    binds += [Bind(p, p, False) for p in readonly_paths(course_root)]
    binds += [Bind(str(results_dir(job)), RESULTS, True)]
    # The submission is copied into a tmpfs of its own size plus the scratch allowance:
    # however much it writes, the grader's disk is not touched.
    size = tree_mb(job.submission) + job.limits.scratch_mb
    return JailPlan(
        mode=mode,
        uid=uid,
        gid=uid,
        switch_uid=switches_uid(mode),
        root=str(job.scratch / ".root"),
        links=tuple(links),
        binds=tuple(binds),
        hide=(str(course_root / "solutions"),),
        scratch_mb=job.limits.scratch_mb,
        copy=Copy(str(job.submission), SUBMISSION, size),
        home=home,
        cwd=home if from_home else places(job, mode)[0],
        argv=tuple(args),
        env=environment(home, tmp, course_root),
        rlimits=rlimits(job.limits, mode),
        hide_files=tuple(held_out_paths(course_root)),
        stdin=stdin,
    )


def held_out_paths(course_root: Path) -> list[str]:
    """The course's held-out answer files, as the jail's binds show them (and resolved)."""
    from mlops_roadmap import course

    files = [path for _, path in course.load(course_root).held_out()]
    return sorted({os.path.abspath(p) for p in files} | {os.path.realpath(p) for p in files})


def tree_mb(top: Path) -> int:
    """The megabytes a folder's files hold (rounded up), for the tmpfs that takes a copy."""
    size = sum(
        os.lstat(os.path.join(folder, name)).st_size
        for folder, _, files in os.walk(top)
        for name in files
    )
    return size // 2**20 + 1


def system_binds() -> tuple[list[Link], list[Bind]]:
    """The host's system folders: symlinks copied (merged /usr), folders bound read-only."""
    links, binds = [], []
    for top in SYSTEM:
        if os.path.islink(top):
            links.append(Link(top, os.readlink(top)))
        elif os.path.isdir(top):
            binds.append(Bind(top, top, False))
    return links, binds


def readonly_paths(course_root: Path) -> list[str]:
    """This interpreter, its environment, this package and the course's parts, outermost only."""
    package = Path(__file__).resolve().parents[1]
    wanted = [sys.base_prefix, sys.prefix, os.path.dirname(sys.executable), str(package)]
    wanted += [str(course_root / part) for part in GRADED_PARTS if (course_root / part).exists()]
    both = {os.path.abspath(p) for p in wanted} | {os.path.realpath(p) for p in wanted}
    kept: list[str] = []
    for path in sorted(both):
        covered = any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept)
        if not covered and not any(path.startswith(s + "/") or path == s for s in SYSTEM):
            kept.append(path)
    return kept


def environment(home: str, tmp: str, course_root: Path) -> dict[str, str]:
    """An allow-list: nothing of the grader's (tokens, proxies, paths) reaches the submission."""
    env = {k: os.environ[k] for k in KEPT_ENV if os.environ.get(k)}
    env.setdefault("LANG", "C.UTF-8")
    return env | {
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": tmp,
        "MLOPS_ROADMAP_COURSE": str(course_root),
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "MALLOC_ARENA_MAX": "2",
    }


def rlimits(limits: Limits, mode: JailMode) -> dict[Rlimit, int]:
    """Per-process ceilings; processes only where they count the slot's uid alone."""
    chosen: dict[Rlimit, int] = {
        "cpu": math.ceil(limits.wall_seconds * max(1.0, limits.cpus)),
        "as": (limits.memory_mb + HEADROOM_MB) << 20,
        "fsize": limits.file_mb << 20,
        "core": 0,
        "nofile": 1024,  # as the grading container has it
    }
    if mode != "plain" or switches_uid(mode):
        chosen["nproc"] = limits.processes
    return chosen


def describe(mode: JailMode, job: Job, uid: int, why: str = "", cgroup: str = "") -> str:
    """The isolation in words, for the gradebook: what was applied, and what was not."""
    nproc = "/nproc" if "nproc" in rlimits(job.limits, mode) else ""
    limits = f"rlimits cpu/as/fsize/core/nofile{nproc}" + (f", {cgroup}" if cgroup else "")
    if mode == "namespaces":
        return (
            "process jail: pid+net+mount+ipc+uts+cgroup namespaces, private read-only root, "
            f"uid {uid}, {limits}, scrubbed env"
        )
    if mode == "userns":
        return (
            "process jail (unprivileged): user+pid+net+mount+ipc+uts+cgroup namespaces, private "
            f"read-only root, the grader's uid mapped to {uid}, {limits}, scrubbed env"
        )
    if switches_uid(mode):
        who, swept, readable = (
            f"uid {uid}",
            f", and on timeout every process of uid {uid}",
            "any user",
        )
    else:
        who, swept, readable = (
            "the grader's own uid (the grader made non-dumpable)",
            "",
            "the grader",
        )
    return (
        f"degraded, no namespaces{f' ({why})' if why else ''}: {who}, {limits}, scrubbed env, "
        f"every descendant killed at the end{swept}; the network and files readable by "
        f"{readable} stay reachable, the held-out answers included"
    )
