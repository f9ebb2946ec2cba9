"""The engine's pytest plugin: fixtures and markers for checks, and outcome collection.

Checks are pytest functions; this plugin gives them the learner's workspace, week folder,
interpreter and a subprocess runner, turns markers into points, hints and required tools, and
collects each check's verdict as a ``CheckResult`` without any of pytest's own output.
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

Progress = Callable[[int, int, str], None]
KEY = pytest.StashKey["Context"]()
MARKERS = (
    "points(n): what the check is worth (default 1)",
    "hint(text): the hint shown when the check fails",
    "requires(*tools): tools the check needs; blocked when one is unreachable",
    "timeout(seconds): the check's wall-clock limit (default 300)",
)
DEFAULT_TIMEOUT = 300


@dataclass
class Context:
    """What the engine hands the plugin, and what the plugin hands back."""

    workspace: Path
    week_dir: Path
    week: Week
    progress: Progress | None = None
    results: list[CheckResult] = field(default_factory=list)
    learner_seconds: float = 0.0
    probes: dict[str, tools.Probe] = field(default_factory=dict)
    check_limit: float | None = None  # caps every check's timeout (grading sets it)


class Collector:
    """Registered once per run; records each check's phases and builds its verdict."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.errors: dict[str, BaseException | None] = {}
        self.total = 0
        self.done = 0
        self.interrupted = False

    def pytest_keyboard_interrupt(self) -> None:
        self.interrupted = True

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[KEY] = self.context
        for line in MARKERS:
            config.addinivalue_line("markers", line)

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
        if self.context.progress is not None:
            self.context.progress(self.done + 1, self.total, _title(item))
        for mark in item.iter_markers("requires"):
            for tool in mark.args:
                seen = self.context.probes.get(tool) or tools.probe(tool)
                self.context.probes[tool] = seen
                if not seen.ok:
                    raise CheckBlocked(
                        f"needs {tool}, which is not reachable here: {seen.detail}", seen.fix
                    )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.excinfo is not None and item.nodeid not in self.errors:
            self.errors[item.nodeid] = call.excinfo.value
        report.duration = call.duration
        item.stash.setdefault(_DURATION, []).append(call.duration)
        return report

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        self.done += 1

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        limit = float(_marker_arg(item, "timeout", DEFAULT_TIMEOUT))
        if self.context.check_limit is not None:
            limit = min(limit, self.context.check_limit)
        with _alarm(limit):
            yield
        self.context.results.append(_verdict(item, self.errors.get(item.nodeid)))


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


_DURATION = pytest.StashKey[list[float]]()  # phase durations of one check


def _title(item: pytest.Item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    return doc.strip().splitlines()[0] if doc.strip() else item.name


def _marker_arg(item: pytest.Item, name: str, default: Any) -> Any:
    mark = item.get_closest_marker(name)
    return mark.args[0] if mark is not None and mark.args else default


def _verdict(item: pytest.Item, error: BaseException | None) -> CheckResult:
    outcome, expected, found, hint = _classify(error)
    return CheckResult(
        id=item.nodeid,
        title=_title(item),
        outcome=outcome,
        expected=expected,
        found=found,
        hint=hint or str(_marker_arg(item, "hint", "")),
        points=float(_marker_arg(item, "points", 1)),
        duration=_duration(item),
        notes=", ".join(f"{key} {value}" for key, value in item.user_properties),
    )


def _duration(item: pytest.Item) -> float:
    phases: list[float] = item.stash.get(_DURATION, [])
    return sum(phases)


def _classify(error: BaseException | None) -> tuple[str, str, str, str]:
    """(outcome, expected, found, hint) for what a check raised; a hint of '' means the marker's."""
    if error is None:
        return "passed", "", "", ""
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
