"""`check`: run a week's checks against the learner's work and record the attempt."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from mlops_roadmap import runner, week_status
from mlops_roadmap.course import Course
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.plugin import CheckStarted
from mlops_roadmap.results import RunReport
from mlops_roadmap.roadmap import Week
from mlops_roadmap.state import Attempt, Store, StoredVerdict, now
from mlops_roadmap.workspace import Workspace


@dataclass(frozen=True)
class CheckRun:
    """What one `check` found, and what it changed."""

    report: RunReport
    unlocked: Week | None  # the week this pass unlocked, if any
    not_recorded: RoadmapError | None = None  # why the attempt could not be recorded


def resolve_week(course: Course, ws: Workspace, number: int | None, cwd: Path) -> Week:
    """The week asked for, else the one whose folder holds ``cwd``, else the one in progress."""
    if number is not None:
        return course.plan.week(number)
    here = ws.week_from_path(course.plan, cwd)
    if here is not None:
        return here
    store = ws.store()
    try:
        weeks = week_status.statuses(course, store)
    finally:
        store.close()
    for status in weeks:
        if status.state == "in progress":
            return status.week
    raise RoadmapError(
        "no week in progress: run `mlops-roadmap start N`, or name the week "
        "(`mlops-roadmap check week N`)"
    )


def check(
    course: Course,
    ws: Workspace,
    week: Week,
    *,
    verbose: bool = False,
    select: str | None = None,
    on_check: CheckStarted | None = None,
) -> CheckRun:
    """Run the checks, record the attempt, and say which week a pass unlocked."""
    report = runner.run_week(
        course,
        week,
        ws.root,
        ws.week_dir(week),
        verbose=verbose,
        select=select,
        on_check=on_check,
    )
    report = replace(report, commit=ws.commit())
    if select:  # a partial run is shown, not recorded: it cannot pass a week
        return CheckRun(report, None)
    try:  # the report is shown even when it cannot be recorded
        store = ws.store()
        try:
            before = week_status.statuses(course, store)
            record(store, report)
            after = week_status.statuses(course, store)
        finally:
            store.close()
    except RoadmapError as exc:
        return CheckRun(report, None, RoadmapError(f"{exc} (this attempt was not recorded)"))
    unlocked = next(
        (
            a.week
            for b, a in zip(before, after, strict=False)
            if b.state == "locked" and a.state != "locked"
        ),
        None,
    )
    return CheckRun(report, unlocked)


def record(store: Store, report: RunReport) -> None:
    attempt = Attempt(
        report.week,
        now(),
        report.commit,
        report.duration,
        report.count("passed"),
        len(report.results),
    )
    store.record_attempt(
        attempt,
        [StoredVerdict(r.id, r.outcome, r.message, r.duration) for r in report.results],
        offline="; ".join(report.needs) if report.passed_offline else "",
    )
