"""The engine's pytest plugin: markers for checks, and each check's verdict from its reports.

Checks are pytest functions; ``VerdictRecorder`` turns markers into points, hints and required
tools, and builds each check's ``CheckResult`` from pytest's own ``TestReport``s (as pytest's
junitxml plugin builds its records), without any of pytest's output. What a check raised is
turned into plain fields on the report (``user_properties``) when the report is made, so a
verdict never depends on a live exception object and reports stay serialisable.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap import tools
from mlops_roadmap.checking import CheckBlocked, CheckFailed
from mlops_roadmap.results import CheckResult
from mlops_roadmap.roadmap import Week

CheckStarted = Callable[[int, int, str], None]  # (number of the check, how many, its title)
KEY = pytest.StashKey["Context"]()
MARKERS = (
    "points(n): what the check is worth (default 1)",
    "hint(text): the hint shown when the check fails",
    "requires(*tools): tools the check needs; blocked when one is unreachable",
    "timeout(seconds): the check's wall-clock limit (default 300)",
    "title(text): the check's title (default: its docstring's first line); for parametrized checks",
)
DEFAULT_TIMEOUT = 300
PREFIX = "mlops_roadmap."  # user_properties the engine keeps for itself (never shown as notes)
VERDICT = PREFIX + "verdict"  # (outcome, expected, found, hint) of the first phase that raised
TITLE = PREFIX + "title"
POINTS = PREFIX + "points"
HINT = PREFIX + "hint"


@dataclass
class Context:
    """What the engine hands the plugin, and what the plugin hands back."""

    workspace: Path
    week_dir: Path
    week: Week
    course_root: Path
    on_check: CheckStarted | None = None
    results: list[CheckResult] = field(default_factory=list)
    learner_seconds: float = 0.0
    probes: dict[str, tools.Probe] = field(default_factory=dict)
    check_limit: float | None = None  # caps every check's timeout (grading sets it)


class VerdictRecorder:
    """Registered once per run; records each check's reports and builds its verdict."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.total = 0
        self.started = 0
        self.phases: dict[str, list[pytest.TestReport]] = {}
        self.interrupted = False

    def pytest_keyboard_interrupt(self) -> None:
        self.interrupted = True

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[KEY] = self.context
        add_markers(config)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.context.results.append(
                CheckResult(
                    id=report.nodeid,
                    title=f"load {report.nodeid}",
                    outcome="error",
                    found=str(report.longrepr).strip().splitlines()[-1],
                    hint="the week's checks do not load: a course bug, tell the course author",
                )
            )

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.started += 1
        if self.context.on_check is not None:
            self.context.on_check(self.started, self.total, title_of(item))
        for mark in item.iter_markers("requires"):
            for tool in mark.args:
                seen = self.context.probes.get(tool) or tools.probe(tool)
                self.context.probes[tool] = seen
                if not seen.ok:
                    raise CheckBlocked(
                        f"needs {tool}, which is not reachable here: {seen.detail}", seen.fix
                    )

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        limit = float(marker_arg(item, "timeout", DEFAULT_TIMEOUT))
        if self.context.check_limit is not None:
            limit = min(limit, self.context.check_limit)
        with _alarm(limit):
            yield

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        report.duration = call.duration
        if call.when == "setup":
            report.user_properties += [
                (TITLE, title_of(item)),
                (POINTS, float(marker_arg(item, "points", 1))),
                (HINT, str(marker_arg(item, "hint", ""))),
            ]
        if call.excinfo is not None:
            report.user_properties.append((VERDICT, _classify(call.excinfo.value)))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.phases.setdefault(report.nodeid, []).append(report)
        if report.when == "teardown":
            self.context.results.append(verdict(self.phases.pop(report.nodeid)))


def add_markers(config: pytest.Config) -> None:
    """Declare the engine's markers (points, hint, requires, timeout, title)."""
    for line in MARKERS:
        config.addinivalue_line("markers", line)


def verdict(reports: list[pytest.TestReport]) -> CheckResult:
    """One check's verdict from the reports of its phases (setup, call, teardown)."""
    props: dict[str, Any] = {}
    notes: list[str] = []
    for report in reports:
        for key, value in report.user_properties:
            if not key.startswith(PREFIX):
                notes.append(f"{key} {value}")
            elif key != VERDICT or VERDICT not in props:  # the first phase that raised decides
                props[key] = value
    outcome, expected, found, hint = props.get(VERDICT, ("passed", "", "", ""))
    return CheckResult(
        id=reports[0].nodeid,
        title=str(props.get(TITLE, reports[0].nodeid)),
        outcome=outcome,
        expected=expected,
        found=found,
        hint=hint or str(props.get(HINT, "")),
        points=float(props.get(POINTS, 1.0)),
        duration=sum(r.duration for r in reports),
        notes=", ".join(dict.fromkeys(notes)),
    )


class CheckTimeout(BaseException):
    """Raised in a check past its time limit (a BaseException, so checks cannot swallow it)."""


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Raise ``CheckTimeout`` in the main thread after ``seconds``."""

    def expire(signum: int, frame: object) -> None:
        raise CheckTimeout(f"the check ran for more than {seconds:g} s and was stopped")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def title_of(item: pytest.Item) -> str:
    """A check's title: its ``title`` marker, else its docstring's first line, else its name."""
    marked = marker_arg(item, "title", None)
    if marked is not None:
        return str(marked)
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    return doc.strip().splitlines()[0] if doc.strip() else item.name


def marker_arg(item: pytest.Item, name: str, default: Any) -> Any:
    """The first argument of the check's closest ``name`` marker, or ``default``."""
    mark = item.get_closest_marker(name)
    return mark.args[0] if mark is not None and mark.args else default


def _classify(error: BaseException) -> tuple[str, str, str, str]:
    """(outcome, expected, found, hint) for what a check raised; a hint of '' means the marker's."""
    if isinstance(error, CheckBlocked):
        return "blocked", "", error.reason, error.hint
    if isinstance(error, CheckFailed):
        return "failed", error.expected, error.found, error.hint
    if isinstance(error, CheckTimeout):
        return "failed", "the check to finish within its time limit", str(error), ""
    if isinstance(error, AssertionError):
        return "failed", "", str(error).split("\nassert ")[0].strip() or "an assertion failed", ""
    if isinstance(error, pytest.skip.Exception):
        return "blocked", "", str(error), ""
    course_bug = "a course bug: report it to the course author"
    return "error", "", f"the check itself broke: {type(error).__name__}: {error}", course_bug
