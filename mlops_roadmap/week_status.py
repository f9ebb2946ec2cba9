"""Where a learner stands: each week locked, available, in progress or passed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from mlops_roadmap.course import Course
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.roadmap import Week
from mlops_roadmap.state import Attempt, Store

WeekState = Literal["locked", "available", "in progress", "passed"]
STATES: tuple[WeekState, ...] = get_args(WeekState)


@dataclass(frozen=True)
class WeekStatus:
    """One week on the dashboard: its state, whether it has checks, its last attempt."""

    week: Week
    state: WeekState
    checked: bool  # the week has automated checks
    last: Attempt | None
    forced: bool


@dataclass(frozen=True)
class Overview:
    """The dashboard's data: every week's status and what to do next."""

    weeks: tuple[WeekStatus, ...]
    next_step: str

    @property
    def passed(self) -> int:
        return sum(1 for w in self.weeks if w.state == "passed")


def statuses(course: Course, store: Store) -> tuple[WeekStatus, ...]:
    attempts = store.attempts()
    passed = {a.week for a in attempts if a.all_passed}
    started = {week for week, _, _ in store.events("start")}
    forced = {week for week, _, _ in store.events("force")}
    last = {a.week: a for a in attempts}
    out, previous_passed = [], True
    for week in course.plan.weeks:
        unlocked = previous_passed or week.id in forced
        state: WeekState
        if week.id in passed:
            state = "passed"
        elif not unlocked:
            state = "locked"
        else:
            state = "in progress" if week.id in started else "available"
        out.append(
            WeekStatus(week, state, course.has_checks(week), last.get(week.id), week.id in forced)
        )
        previous_passed = week.id in passed
    return tuple(out)


def overview(course: Course, store: Store) -> Overview:
    weeks = statuses(course, store)
    return Overview(weeks, _next_step(weeks))


def _next_step(weeks: tuple[WeekStatus, ...]) -> str:
    for status in weeks:
        if status.state == "in progress":
            if not status.checked:
                return (
                    f"work through {status.week.id} ({status.week.title}); it has no automated "
                    f"checks yet, so move on with `mlops-roadmap start {status.week.number + 1}"
                    " --force`"
                )
            return f"cd {status.week.folder} and run `mlops-roadmap check`"
    for status in weeks:
        if status.state == "available":
            return f"run `mlops-roadmap start {status.week.number}` ({status.week.title})"
    if all(s.state == "passed" for s in weeks):
        return "every week passed: well done"
    return "run `mlops-roadmap status` after your next check"


def require_unlocked(course: Course, store: Store, week: Week) -> WeekStatus:
    """The week's status; a locked week is refused with the week to pass first."""
    status = statuses(course, store)[week.number - 1]
    if status.state == "locked":
        before = course.plan.week(week.number - 1)
        raise RoadmapError(
            f"{week.id} is locked: pass {before.id} ({before.title}) first, or use --force "
            "to start it anyway (recorded)"
        )
    return status
