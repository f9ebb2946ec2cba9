"""Where a learner stands: each week locked, available, in progress, passed offline or passed.

A week is passed when every check of one attempt passed. It is passed offline when every check
this machine could run passed and the others are ``external`` ones blocked here (they need a
Kubernetes cluster or a cloud account): not a pass, and shown apart with what it still needs,
but the next week opens, since no work of the learner's is missing that this machine can see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from mlops_roadmap.course import Course
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.roadmap import Week
from mlops_roadmap.state import OFFLINE, Attempt, Store

WeekState = Literal["locked", "available", "in progress", "passed offline", "passed"]
STATES: tuple[WeekState, ...] = get_args(WeekState)


@dataclass(frozen=True)
class WeekStatus:
    """One week on the dashboard: its state, whether it has checks, its last attempt."""

    week: Week
    state: WeekState
    checked: bool  # the week has automated checks
    last: Attempt | None
    forced: bool
    needs: str = ""  # passed offline: what its blocked checks need from outside this machine

    @property
    def opens_next(self) -> bool:
        return self.state in ("passed", "passed offline")


@dataclass(frozen=True)
class Overview:
    """The dashboard's data: every week's status and what to do next."""

    weeks: tuple[WeekStatus, ...]
    next_step: str

    @property
    def passed(self) -> int:
        return sum(1 for w in self.weeks if w.state == "passed")

    @property
    def passed_offline(self) -> int:
        return sum(1 for w in self.weeks if w.state == "passed offline")


def statuses(course: Course, store: Store) -> tuple[WeekStatus, ...]:
    attempts = store.attempts()
    passed = {a.week for a in attempts if a.all_passed}
    started = {week for week, _, _ in store.events("start")}
    forced = {week for week, _, _ in store.events("force")}
    offline = {week: needs for week, needs, _ in store.events(OFFLINE)}  # the latest wins
    last = {a.week: a for a in attempts}
    out: list[WeekStatus] = []
    for week in course.plan.weeks:
        unlocked = not out or out[-1].opens_next or week.id in forced
        state: WeekState
        if week.id in passed:
            state = "passed"
        elif week.id in offline:
            state = "passed offline"
        elif not unlocked:
            state = "locked"
        else:
            state = "in progress" if week.id in started else "available"
        out.append(
            WeekStatus(
                week,
                state,
                course.has_checks(week),
                last.get(week.id),
                week.id in forced,
                offline.get(week.id, "") if state == "passed offline" else "",
            )
        )
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
    waiting = [s for s in weeks if s.state == "passed offline"]
    if waiting and all(s.opens_next for s in weeks):
        numbers = ", ".join(str(s.week.number) for s in waiting)
        needs = "; ".join(dict.fromkeys(s.needs for s in waiting))
        return (
            f"every week passed here; weeks {numbers} still wait on checks that need {needs}: "
            "run `mlops-roadmap check week N` where they are reachable to pass them"
        )
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
