"""One submission's week graded: its tree unpacked into a scratch folder of its own, its checks
run in the sandbox, the verdict read, the folder removed.

Nothing the submission holds or does stops the class: a tree that cannot be unpacked is the
student's ``fetch-failed``, a verdict that cannot be read their ``crashed``. The grader's own
work is bounded too: unpacking by ``Limits.unpack_seconds`` (and it counts against
``wall_seconds``, which the checks get the rest of), removing by the tree's file limit; both are
timed into the grade's ``overhead``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import fetch, unpack, verdicts
from mlops_roadmap.grading.model import Grade, Limits
from mlops_roadmap.grading.sandbox import Backend, Job
from mlops_roadmap.manifest import Manifest
from mlops_roadmap.roadmap import Week

DROPPED = (".venv", "venv", ".mlops-roadmap/state.db", ".mlops-roadmap/backups")


def grade_week(
    backend: Backend,
    fetched: fetch.Fetched,
    base: Grade,
    week: Week,
    manifest: Manifest,
    limits: Limits,
    slot: int,
) -> Grade:
    """``base`` (for its commit) graded in ``backend``'s lane ``slot``, before any late penalty."""
    scratch = Path(tempfile.mkdtemp(prefix=f"grade-{base.student.id}-{base.week}-"))
    scratch.chmod(0o711)  # a sandbox's own user must reach the submission inside
    try:
        grade, unpacking = _unpacked_and_run(
            backend, fetched, base, week, manifest, limits, scratch, slot
        )
    finally:
        removing = time.monotonic()
        shutil.rmtree(scratch, ignore_errors=True)
        removing = time.monotonic() - removing
    return replace(grade, overhead=round(unpacking + removing, 3))


def _unpacked_and_run(
    backend: Backend,
    fetched: fetch.Fetched,
    base: Grade,
    week: Week,
    manifest: Manifest,
    limits: Limits,
    scratch: Path,
    slot: int,
) -> tuple[Grade, float]:
    """The grade, and the seconds the grader spent unpacking the tree."""
    tree, started = scratch / "submission", time.monotonic()
    assert base.commit is not None
    try:
        notes = unpack.export(fetched, base.commit, tree, limits)
        if not (tree / week.folder).is_dir():
            why = f"no folder {week.folder}/ in the repository at {base.commit[:12]}"
            return replace(base, message=why), time.monotonic() - started
        drop_local_state(tree)
    except Exception as exc:  # a tree the grader cannot unpack fails this student alone
        failed = replace(base, status="fetch-failed", message=said(exc))
        return failed, time.monotonic() - started
    unpacking = time.monotonic() - started
    (scratch / "tmp").mkdir()
    left = replace(limits, wall_seconds=max(1.0, limits.wall_seconds - unpacking))
    job = Job(week.id, tree, scratch / "tmp", left, slot, base.student.id, base.commit)
    try:
        ran = backend.run(job)
        grade = verdicts.grade_from(base, ran, limits, notes, manifest)
    except RoadmapError:  # the machine, not the submission: the instructor fixes it
        raise
    except Exception as exc:  # reading one submission's verdict never stops the class
        crashed = replace(base, status="crashed", message=f"the grader failed: {said(exc)}")
        return crashed, unpacking
    return replace(grade, exit_code=None if ran.pending else ran.returncode), unpacking


def said(exc: Exception) -> str:
    """What went wrong, for the student's grade (a fetch's own message as it is)."""
    if isinstance(exc, fetch.FetchFailed):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def drop_local_state(tree: Path) -> None:
    """What the student's machine recorded is not trusted: environments and local state go."""
    for name in DROPPED:
        for path in (tree / name, *tree.glob(f"*/{name}")):
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
    for db in tree.glob(".mlops-roadmap/state.db*"):
        db.unlink()
