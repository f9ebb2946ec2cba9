"""`start week N` and `reset week N`: lay a week's scaffold into the workspace."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path

from mlops_roadmap import laid, scaffold, week_status
from mlops_roadmap.course import Course
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.roadmap import Week
from mlops_roadmap.scaffold import ScaffoldReport
from mlops_roadmap.workspace import Workspace


def start(course: Course, ws: Workspace, week: Week, force: bool = False) -> ScaffoldReport:
    """Scaffold ``week``; ``force`` starts a locked week (recorded) and updates untouched files."""
    store = ws.store()
    try:
        try:
            week_status.require_unlocked(course, store, week)
        except RoadmapError:
            if not force:
                raise
            store.record_event(week.id, "force", "started while locked")
        report = scaffold.lay(course, week, ws, ws.week_dir(week), force)
        store.record_event(week.id, "start")
    finally:
        store.close()
    return report


def reset(course: Course, ws: Workspace, week: Week) -> ScaffoldReport:
    """Lay ``week`` afresh; the learner's changed and own files go into a backup.

    The new scaffold is laid in a sibling folder and swapped in only once complete, so a broken
    template or a full disk leaves the learner's folder as it was. Files still as laid need no
    backup.
    """
    target, path = ws.week_dir(week), ws.laid_record(week)
    before = laid.load(path)
    store = ws.store()
    try:
        report, files, staging = _stage(course, week, ws, target)
        report.folder, report.backup = target, _swap(ws, target, staging)
        if report.backup:
            report.backed_up = _prune(report.backup, before)
            report.backup = report.backup if report.backup.exists() else None
        try:
            laid.save(path, scaffold.record(course, week, files))
        except RoadmapError as exc:
            raise RoadmapError(f"{exc}; the week was laid afresh, {_old_work(report)}") from None
        store.record_event(week.id, "reset", str(report.backup or ""))
        store.record_event(week.id, "start")
    finally:
        store.close()
    return report


def _stage(
    course: Course, week: Week, ws: Workspace, target: Path
) -> tuple[ScaffoldReport, dict[str, str], Path]:
    """Lay the fresh scaffold in a hidden folder beside ``target``; on failure remove it."""
    staging = target.with_name(f".{target.name}.new-{uuid.uuid4().hex[:8]}")
    try:
        staging.mkdir()
        report, files = scaffold.lay_files(course, week, ws, staging, False, None)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        unchanged = f"nothing was reset: your work is still in {target}"
        if isinstance(exc, RoadmapError):
            raise RoadmapError(f"{exc}; {unchanged}") from None
        if isinstance(exc, OSError):
            raise RoadmapError(
                f"{target}: cannot lay the new scaffold beside it ({exc}); {unchanged}"
            ) from None
        raise
    return report, files, staging


def _swap(ws: Workspace, target: Path, staging: Path) -> Path | None:
    """Move ``target`` into a backup and ``staging`` into its place; the backup, if any."""
    backup = ws.backup_dir() / target.name if target.exists() else None
    try:
        if backup:
            backup.parent.mkdir(parents=True, exist_ok=True)
            target.rename(backup)
        staging.rename(target)
    except OSError as exc:
        if backup and backup.exists() and not target.exists():
            with contextlib.suppress(OSError):  # then the message names the backup
                backup.rename(target)
        shutil.rmtree(staging, ignore_errors=True)
        where = backup if backup and backup.exists() else target
        raise RoadmapError(
            f"{target}: cannot swap in the new scaffold ({exc}); nothing was reset: "
            f"your work is in {where}"
        ) from None
    return backup


def _prune(backup: Path, before: laid.Record | None) -> list[str]:
    """Drop from ``backup`` the files still as laid; the learner's files left there, sorted."""
    mine = []
    for folder, dirs, names in os.walk(backup, topdown=False):
        here = Path(folder)
        for name in names:
            rel = (here / name).relative_to(backup).as_posix()
            if before and not (here / name).is_symlink() and before.untouched(rel, here / name):
                (here / name).unlink()
            else:
                mine.append(rel)
        mine += [(here / d).relative_to(backup).as_posix() for d in dirs if (here / d).is_symlink()]
        if not any(here.iterdir()):
            here.rmdir()
    if not backup.exists() and not any(backup.parent.iterdir()):
        backup.parent.rmdir()
    return sorted(mine)


def _old_work(report: ScaffoldReport) -> str:
    if report.backup:
        return f"your old work is in {report.backup}"
    return "nothing of yours needed a backup"
