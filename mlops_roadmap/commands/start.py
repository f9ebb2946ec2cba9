"""`start week N`: scaffold a week into the workspace."""

from __future__ import annotations

from mlops_roadmap import scaffold, week_status
from mlops_roadmap.course import Course
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.roadmap import Week
from mlops_roadmap.scaffold import ScaffoldReport
from mlops_roadmap.workspace import Workspace


def start(course: Course, ws: Workspace, week: Week, force: bool = False) -> ScaffoldReport:
    """Scaffold ``week``; refuse a locked week unless ``force`` (which is recorded)."""
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
    """Scaffold ``week`` afresh, moving the learner's old folder into a backup first."""
    target = ws.week_dir(week)
    backup = None
    if target.exists():
        backup = ws.backup_dir() / target.name
        backup.parent.mkdir(parents=True, exist_ok=True)
        target.rename(backup)
    store = ws.store()
    try:
        report = scaffold.lay(course, week, ws, target, force=False)
        store.record_event(week.id, "reset", str(backup or ""))
        store.record_event(week.id, "start")
    finally:
        store.close()
    report.backup = backup
    return report
