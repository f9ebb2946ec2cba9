"""The grader's side of a jailed run: folders handed to the slot's uid, and taken back after.

Before: the slot's uid owns the submission copy and the results folder (files it creates stay
deletable by the grader), and any process left under that uid is killed. After: everything the
submission started is gone, and a grader that is not root can still delete all it left.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import signal
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import jail_plan
from mlops_roadmap.grading.jail_spec import JailPlan
from mlops_roadmap.grading.sandbox import Job

# Root's alone: one lock file per uid in use (/var/tmp where there is no /run).
LOCKS = Path("/run" if os.path.isdir("/run") else "/var/tmp", "mlops-roadmap-jail")
_held: set[int] = set()  # the uids this grader's lanes hold now
_held_lock = threading.Lock()


@contextlib.contextmanager
def lane_uid(job: Job) -> Iterator[int]:
    """A uid for this run that no other run holds, in this grader or any other on the machine.

    As root, slot N takes uid 60000 + N, or the next free one: each uid in use is held with a
    lock on its own file, released when the run ends or its grader dies. A process running as
    a uid nobody holds is a leftover, safe to kill. Without root the uid is only a name.
    """
    first = jail_plan.FIRST_UID + job.slot
    if os.geteuid() != 0:
        yield first
        return
    LOCKS.mkdir(mode=0o700, exist_ok=True)
    info = os.lstat(LOCKS)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise RoadmapError(f"{LOCKS}: not a folder of root's alone; remove it and grade again")
    for uid in range(first, jail_plan.LAST_UID + 1):
        fd = os.open(LOCKS / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        with _held_lock:
            _held.add(uid)
        try:
            yield uid
        finally:
            with _held_lock:
                _held.discard(uid)
            os.close(fd)
        return
    raise RoadmapError(
        f"{LOCKS}: every jail uid from {first} to {jail_plan.LAST_UID} is in use; "
        "grade with fewer --jobs or wait for the other grading runs to end"
    )


def held_uids() -> list[int]:
    """The uids this grader's lanes hold right now (as root; none otherwise)."""
    with _held_lock:
        return sorted(_held)


def _shield_grader() -> None:
    """Same uid, no namespaces: only a non-dumpable grader keeps its environ and memory closed."""
    ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE


def prepare(job: Job, plan: JailPlan) -> None:
    """Folders the jail needs; the slot's uid owns what it may change."""
    for sub in (".root", "results", *(("home", "tmp") if plan.mode == "plain" else ())):
        (job.scratch / sub).mkdir(exist_ok=True)
    if plan.switch_uid:
        kill_uid(plan.uid)  # held by this run alone: anything running as it is a leftover
        for path in (job.submission, job.scratch / "home"):
            if path.exists():
                _chown_tree(path, plan.uid)
        _one_writable_file(jail_plan.results_dir(job) / "result.json", plan.uid)
    if plan.mode == "plain":
        os.chmod(job.scratch / "tmp", 0o1777)
        if not plan.switch_uid:
            _shield_grader()


def _one_writable_file(path: Path, uid: int) -> None:
    """The results folder stays the grader's: the jail's user may only write the verdict file,
    itself capped by the file-size limit, so it cannot fill the grader's disk."""
    path.touch()
    os.chown(path, uid, uid)
    os.chmod(path.parent, 0o755)


def finish(job: Job, plan: JailPlan) -> None:
    """Nothing of the submission's outlives the run, and the grader can delete all it left."""
    if plan.switch_uid:
        kill_uid(plan.uid)
    elif os.geteuid() != 0:
        _open_up([job.submission, job.scratch])


def _open_up(stack: list[Path]) -> None:
    """Give the owner rwx on every folder (a submission may leave some it cannot enter)."""
    while stack:
        folder = stack.pop()
        os.chmod(folder, stat.S_IRWXU | (os.lstat(folder).st_mode & 0o7077))
        with os.scandir(folder) as entries:
            stack += [Path(e.path) for e in entries if e.is_dir(follow_symlinks=False)]


def unreachable(job: Job, plan: JailPlan) -> str:
    """Without a private root the slot's uid uses host paths: say which it cannot reach."""
    if plan.mode != "plain" or not plan.switch_uid:
        return ""
    program = shutil.which(plan.argv[0], path=plan.env["PATH"]) or plan.argv[0]
    for path in (Path(program).resolve(), job.submission, job.scratch):
        for parent in path.parents:
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return (
                    f"jail: {parent} is closed to other users, so uid {plan.uid} cannot reach "
                    f"{path}: open it (chmod o+x) or use a machine that allows namespaces"
                )
    return ""


def _chown_tree(top: Path, uid: int) -> None:
    os.lchown(top, uid, uid)
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), uid, uid)


def kill_uid(uid: int, patience: float = 5.0) -> None:
    """Kill every live process whose uid is ``uid`` and wait until none is left."""
    deadline = time.monotonic() + patience
    while (pids := owned_by(uid)) and time.monotonic() < deadline:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue
        time.sleep(0.02)


def owned_by(uid: int) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        try:
            status = Path(entry.path, "status").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uids = fields.get("Uid", "").split()
        if str(uid) in uids and not fields.get("State", "").strip().startswith(("Z", "X")):
            pids.append(int(entry.name))
    return pids
