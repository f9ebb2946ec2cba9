"""`hint` and `solution`: help a learner gets, step by step or after a pass."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from mlops_roadmap import week_status
from mlops_roadmap.course import PREPARE, Course
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.roadmap import Week
from mlops_roadmap.workspace import Workspace


@dataclass(frozen=True)
class Hints:
    week: Week
    shown: tuple[str, ...]  # every hint revealed so far, the newest last
    remaining: int


def hint(course: Course, ws: Workspace, week: Week) -> Hints:
    """Reveal one more of the week's hints (all of them once they are all shown)."""
    if not week.hints:
        raise RoadmapError(
            f"{week.id} has no hints: read its lesson (`mlops-roadmap show week {week.number}`)"
        )
    store = ws.store()
    try:
        seen = store.count_events(week.id, "hint")
        if seen < len(week.hints):
            store.record_event(week.id, "hint", str(seen + 1))
            seen += 1
    finally:
        store.close()
    return Hints(week, week.hints[:seen], len(week.hints) - seen)


@dataclass(frozen=True)
class FileDiff:
    path: str
    diff: str  # unified diff from the learner's file to the reference; empty when identical
    missing: bool  # the learner has no such file


def solution(course: Course, ws: Workspace, week: Week) -> list[FileDiff]:
    """The reference solution against the learner's files; only after the week passed."""
    store = ws.store()
    try:
        state = week_status.statuses(course, store)[week.number - 1].state
    finally:
        store.close()
    if state != "passed":
        raise RoadmapError(
            f"the solution of {week.id} opens once you pass it: run "
            f"`mlops-roadmap check week {week.number}` until it passes"
        )
    root = course.solution(week)
    if not root.is_dir():
        raise RoadmapError(f"{week.id} has no reference solution in this course release")
    mine = ws.week_dir(week)
    out = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != PREPARE):
        rel = path.relative_to(root).as_posix()
        theirs = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
        own = mine / rel
        ours = (
            own.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
            if own.is_file()
            else []
        )
        diff = "".join(difflib.unified_diff(ours, theirs, f"yours/{rel}", f"reference/{rel}"))
        out.append(FileDiff(rel, diff, not own.is_file()))
    return out
