"""`hint` and `solution`: help a learner gets, step by step or after a pass."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from mlops_roadmap import laid, scaffold, week_status
from mlops_roadmap.course import PREPARE, Course
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.roadmap import Week
from mlops_roadmap.workspace import Workspace

IGNORED = frozenset({"__pycache__", ".pytest_cache", ".venv", "venv"})  # not the learner's work


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
    _require_passed(course, ws, week)
    root = course.solution(week)
    if not root.is_dir():
        raise RoadmapError(f"{week.id} has no reference solution in this course release")
    mine = ws.week_dir(week)
    out = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != PREPARE):
        rel = path.relative_to(root).as_posix()
        own = mine / rel
        diff = _diff(_lines(own), _lines(path), f"yours/{rel}", f"reference/{rel}")
        out.append(FileDiff(rel, diff, not own.is_file()))
    return out


@dataclass(frozen=True)
class Change:
    """A file the scaffold laid that the learner has changed since."""

    path: str
    diff: str  # unified diff from the scaffold's file to the learner's; empty when unknowable
    deleted: bool  # the learner removed the file
    course_changed: bool  # the course's scaffold differs from what was laid: no diff possible


@dataclass(frozen=True)
class Changes:
    week: Week
    laid_at: str
    changed: list[Change]
    own: list[str]  # files in the week folder the scaffold never laid


def changes(course: Course, ws: Workspace, week: Week) -> Changes:
    """The learner's own changes since the scaffold was laid; only after the week passed."""
    _require_passed(course, ws, week)
    path = ws.laid_record(week)
    record = laid.load(path)
    if record is None:
        raise RoadmapError(
            f"{path}: no record of what the scaffold laid in {week.folder} (it was started "
            f"before records were kept): compare with the reference instead, "
            f"`mlops-roadmap solution week {week.number}`"
        )
    fresh = dict(scaffold.planned_files(course, week, ws.root.name))
    folder = ws.week_dir(week)
    out = []
    for rel, digest in sorted(record.files.items()):
        mine = folder / rel
        if record.untouched(rel, mine):
            continue
        base = fresh.get(rel)
        if base is None or laid.sha256(base) != digest:
            out.append(Change(rel, "", not mine.is_file(), course_changed=True))
            continue
        theirs = base.decode("utf-8", errors="replace").splitlines(keepends=True)
        diff = _diff(theirs, _lines(mine), f"scaffold/{rel}", f"yours/{rel}")
        out.append(Change(rel, diff, not mine.is_file(), course_changed=False))
    return Changes(week, record.laid_at, out, _own_files(folder, set(record.files)))


def _own_files(folder: Path, laid_files: set[str]) -> list[str]:
    out = []
    for here, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in IGNORED]
        rels = (Path(here, name).relative_to(folder).as_posix() for name in names)
        out += [rel for rel in rels if rel not in laid_files]
    return sorted(out)


def _require_passed(course: Course, ws: Workspace, week: Week) -> None:
    store = ws.store()
    try:
        state = week_status.statuses(course, store)[week.number - 1].state
    finally:
        store.close()
    if state not in ("passed", "passed offline"):
        raise RoadmapError(
            f"the solution of {week.id} opens once you pass it: run "
            f"`mlops-roadmap check week {week.number}` until it passes"
        )


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)


def _diff(before: list[str], after: list[str], old: str, new: str) -> str:
    return "".join(difflib.unified_diff(before, after, old, new))
