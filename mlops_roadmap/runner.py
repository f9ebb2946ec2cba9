"""Running one week's checks through pytest with the engine's plugin, in this process."""

from __future__ import annotations

import time
from pathlib import Path

from mlops_roadmap import checklib, contain, limits, procs
from mlops_roadmap.course import Course
from mlops_roadmap.errors import COURSE_BUG, NoChecks, RoadmapError
from mlops_roadmap.plugin import CheckStarted, Context, VerdictRecorder
from mlops_roadmap.results import CheckResult, RunReport
from mlops_roadmap.roadmap import Week

INI = Path(__file__).with_name("checks.ini")


def pytest_args(checks: Path, verbose: bool, select: str | None) -> list[str]:
    args = [
        str(checks),
        "-c",
        str(INI),
        "--rootdir",
        str(checks),
        *checklib.pytest_args(checks.parent),
        "-p",
        "no:cacheprovider",
        "--import-mode=importlib",
        "--capture=no",
        "--continue-on-collection-errors",
        "-W",
        "ignore::DeprecationWarning",
    ]
    args += ["-v"] if verbose else ["-p", "no:terminal"]
    if select:
        args += ["-k", select]
    return args


def run_week(
    course: Course,
    week: Week,
    workspace: Path,
    week_dir: Path,
    *,
    verbose: bool = False,
    select: str | None = None,
    on_check: CheckStarted | None = None,
    check_limit: float | None = None,
) -> RunReport:
    """Run ``week``'s checks against ``week_dir`` and return every check's verdict."""
    import pytest

    if not course.has_checks(week):
        raise NoChecks(
            f"{week.id} has no automated checks yet in this course release: work through the "
            f"lesson, then move on with `mlops-roadmap start {week.number + 1} --force`"
        )
    if not week_dir.is_dir():
        raise RoadmapError(f"{week_dir}: no such folder: run `mlops-roadmap start {week.number}`")
    context = Context(workspace, week_dir, week, course.root, on_check, check_limit=check_limit)
    started = time.monotonic()
    recorder = VerdictRecorder(context)
    checks = course.checks(week)
    try:
        with limits.no_exit():
            code = pytest.main(
                pytest_args(checks, verbose, select),
                plugins=["mlops_roadmap.fixtures", recorder],
            )
    except limits.CheckTimeout as exc:  # loading the conftests pytest reads before collecting
        raise RoadmapError(f"{checks}: {exc}: {COURSE_BUG}") from None
    finally:
        checklib.forget(checks.parent)
        contain.reap_orphans(procs.live())  # daemons the learner's code left: they go too
    if recorder.interrupted:
        raise KeyboardInterrupt
    if code == pytest.ExitCode.USAGE_ERROR or (
        code == pytest.ExitCode.INTERNAL_ERROR and not context.results and not recorder.collected
    ):
        raise RoadmapError(f"{checks}: pytest could not run the checks (exit {code})")
    if select and not context.results:
        raise RoadmapError(f"no check of {week.id} matches '{select}'")
    results = [*context.results, *recorder.unreported()]
    if code == pytest.ExitCode.INTERNAL_ERROR and not recorder.ended_by:
        found = "pytest stopped with an internal error (its report is above)"
        results.append(
            CheckResult("pytest", "the run itself", "error", found=found, hint=COURSE_BUG)
        )
    took = time.monotonic() - started
    reviews = tuple(context.reviews)
    return RunReport(
        week.id, week.title, tuple(results), took, context.learner_seconds, reviews=reviews
    )
