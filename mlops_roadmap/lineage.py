"""Week lineage: a scaffold carries on the finished work of the week it starts from.

A week's finished work is its fresh scaffold with its solution laid over it (``prepare.sh``
aside). When roadmap.yaml says a week ``starts_from`` an earlier one, every file its scaffold
shares with that finished work (same path in the week folder) must equal it outside the
scaffold's own TODO and NEW regions (``regions``), unless ``starts_from.differs`` declares the
file different wholesale. Pure file comparison: no environment, no checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlops_roadmap import regions, roadmap, scaffold
from mlops_roadmap.course import DATA, PREPARE, Course
from mlops_roadmap.roadmap import Week

WORKSPACE = "workspace"  # both sides render their templates for the same workspace name
SKIPPED = ("README.md",)  # the lesson: every week has its own


@dataclass(frozen=True)
class Problem:
    """A file of ``week``'s scaffold (``path`` in the week folder) that breaks its lineage."""

    week: str
    path: str
    message: str


def problems(course: Course, weeks: list[Week] | None = None) -> list[Problem]:
    """Every lineage problem of the chosen weeks (default: all); empty when the course is sound."""
    found: list[Problem] = []
    for week in weeks if weeks is not None else course.plan.weeks:
        if week.starts_from is not None:
            found += _week_problems(course, week)
    return found


def carried(course: Course, week: Week) -> list[str]:
    """The files ``week``'s scaffold carries on from the finished week it starts from."""
    if week.starts_from is None:
        return []
    before = finished(course, _start(course, week))
    return _shared(dict(scaffold.planned_files(course, week, WORKSPACE)), before)


def finished(course: Course, week: Week) -> dict[str, bytes]:
    """The week folder of a learner who finished ``week``: scaffold, then the solution over it."""
    files = dict(scaffold.planned_files(course, week, WORKSPACE))
    solution = course.solution(week)
    for path in sorted(solution.rglob("*")) if solution.is_dir() else []:
        if path.is_file() and path.name != PREPARE and "__pycache__" not in path.parts:
            files[path.relative_to(solution).as_posix()] = path.read_bytes()
    return files


def _shared(now: dict[str, bytes], before: dict[str, bytes]) -> list[str]:
    return sorted(rel for rel in now if rel in before and rel not in SKIPPED)


def _start(course: Course, week: Week) -> Week:
    assert week.starts_from is not None
    return course.plan.week(int(week.starts_from.week[4:]))


def _week_problems(course: Course, week: Week) -> list[Problem]:
    assert week.starts_from is not None
    start = _start(course, week)
    before = finished(course, start)
    now = dict(scaffold.planned_files(course, week, WORKSPACE))
    shared = _shared(now, before)
    found = []
    for rel in week.starts_from.differs:
        place = roadmap.place(week, "starts_from.differs")
        if rel not in shared:
            why = f"is not a file {week.id}'s scaffold carries on from {start.id}: remove it"
            found.append(Problem(week.id, rel, f"{place}: {rel!r} {why}"))
        elif now[rel] == before[rel]:
            why = f"equals {start.id}'s finished work: remove it from the list"
            found.append(Problem(week.id, rel, f"{place}: {rel!r} {why}"))
    for rel in shared:
        if rel in week.starts_from.differs or now[rel] == before[rel]:
            continue
        message = _compare(course, week, start, rel, now[rel], before[rel])
        if message:
            found.append(Problem(week.id, rel, message))
    return found


def _compare(course: Course, week: Week, start: Week, rel: str, now: bytes, was: bytes) -> str:
    """Why the scaffold's ``rel`` parts from the finished week's (empty when it does not)."""
    mine, theirs = _origin(course, week, rel, solved=False), _origin(course, start, rel, True)
    declare = f"or declare it in {week.id}'s starts_from.differs in roadmap.yaml"
    try:
        mismatch = regions.first_mismatch(now.decode(), was.decode(), week.id)
    except UnicodeDecodeError:
        return f"{mine}: differs from {theirs} and is not text: copy {theirs} over it, {declare}"
    except regions.RegionError as exc:
        return f"{mine}:{exc}"
    if mismatch is None:
        return ""
    return (
        f"{mine} differs from {start.id}'s finished work outside its {week.id} regions:\n"
        f"  {_show(mine, mismatch.scaffold)}\n"
        f"  {_show(theirs, mismatch.finished)}\n"
        f"  copy the fix from {theirs} into {mine}, or mark the region TODO({week.id}) or "
        f"NEW({week.id}) (docs/authoring.md), {declare}"
    )


def _show(origin: str, line: regions.Line | None) -> str:
    if line is None:
        return f"{origin}: (the file ends here)"
    text = line.text if len(line.text) <= 90 else line.text[:87] + "..."
    return f"{origin}:{line.number}: {text!r}"


def _origin(course: Course, week: Week, rel: str, solved: bool) -> str:
    """Which course file puts ``rel`` into the week folder."""
    root = course.root
    candidates = [course.solution(week) / rel] if solved else []
    template = course.template(week) / rel
    candidates += [template, template.with_name(template.name + ".jinja")]
    for path in candidates:
        if path.is_file():
            return path.relative_to(root).as_posix()
    sources = [f"{DATA}/{d.source}" for d in week.data if d.path == rel]
    return sources[0] if sources else f"templates/{week.id}/{rel}"
