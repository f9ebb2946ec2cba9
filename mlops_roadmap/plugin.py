"""The engine's pytest plugin: markers for checks, and each check's verdict from its reports.

Checks are pytest functions; ``VerdictRecorder`` turns markers into points, hints and required
tools, and builds each check's ``CheckResult`` from pytest's own ``TestReport``s (as pytest's
junitxml plugin builds its records), without any of pytest's output. What a check raised is
turned into plain fields on the report (``user_properties``) when the report is made, so a
verdict never depends on a live exception object and reports stay serialisable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap import limits, tools
from mlops_roadmap.checking import CheckBlocked, CheckFailed
from mlops_roadmap.errors import COURSE_BUG, brief
from mlops_roadmap.limits import CheckEscaped, CheckTimeout
from mlops_roadmap.results import CheckResult, Review
from mlops_roadmap.roadmap import Week

CheckStarted = Callable[[int, int, str], None]  # (number of the check, how many, its title)
KEY = pytest.StashKey["Context"]()
MARKERS = (
    "points(n): what the check is worth (default 1)",
    "hint(text): the hint shown when the check fails",
    "requires(*tools): tools the check needs; blocked when one is unreachable",
    "timeout(seconds): the check's wall-clock limit (default 300)",
    "title(text): the check's title (default: its docstring's first line); for parametrized checks",
    "external(what): the check needs something outside this machine (a Kubernetes cluster, a "
    "cloud account); blocked without it, and `course verify` lists it as not proven here",
    "review(what): only a person can judge it (a demo, an answer's quality): never run, "
    "listed for a mentor's review with what to look at, never passed or failed",
)
DEFAULT_TIMEOUT = 300
MARKER_RANGES = (  # (marker, largest value, what it expects)
    ("points", 1000, "a number from 0 to 1000"),
    ("timeout", 86_400, "a positive number of seconds, at most 86400"),
)
PREFIX = "mlops_roadmap."  # user_properties the engine keeps for itself (never shown as notes)
VERDICT = PREFIX + "verdict"  # (outcome, expected, found, hint) of the first phase that raised
TITLE = PREFIX + "title"
POINTS = PREFIX + "points"
HINT = PREFIX + "hint"
EXTERNAL = PREFIX + "external"


@dataclass
class Context:
    """What the engine hands the plugin, and what the plugin hands back."""

    workspace: Path
    week_dir: Path
    week: Week
    course_root: Path
    on_check: CheckStarted | None = None
    results: list[CheckResult] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)  # for a mentor, never run
    learner_seconds: float = 0.0
    probes: dict[str, tools.Probe] = field(default_factory=dict)
    check_limit: float | None = None  # caps every check's timeout (grading sets it)

    @property
    def load_limit(self) -> float:
        return limits.load_limit(self.check_limit)


class VerdictRecorder:
    """Registered once per run; records each check's reports and builds its verdict."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.total = 0
        self.started = 0
        self.phases: dict[str, list[pytest.TestReport]] = {}
        self.interrupted = False
        self.collected: dict[str, str] = {}  # every check collected: id to title
        self.ended_by = ""  # why the run ended before its end, when it did

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # Ctrl-C (or SIGTERM/SIGHUP), not a check calling pytest.exit: that one ends the run
        # early, and the checks it did not run are reported as errors.
        self.interrupted = isinstance(excinfo.value, KeyboardInterrupt)
        if not self.interrupted:
            self.ended_by = f"a check called pytest.exit({str(excinfo.value)!r})"

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[KEY] = self.context
        add_markers(config)

    @pytest.hookimpl(wrapper=True)
    def pytest_load_initial_conftests(self) -> Generator[None, None, None]:
        limit = self.context.load_limit
        with limits.alarm(limit, f"the checks' conftest did not load within {limit:g} s"):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        """Loading a module or a folder's conftest has a time limit too (pytest turns the
        timeout into that collector's load error)."""
        if isinstance(collector, pytest.Session):
            return (yield)
        limit = self.context.load_limit
        where = collector.nodeid or collector.name
        with limits.alarm(limit, f"{where} did not load within {limit:g} s and was stopped"):
            report = yield
        call = getattr(report, "call", None)  # pytest keeps the CallInfo on the report
        if call is not None and isinstance(getattr(call.excinfo, "value", None), CheckTimeout):
            report.longrepr = str(call.excinfo.value)  # the message alone, not its traceback
        return report

    @pytest.hookimpl(trylast=True)  # after -k deselected what it does not select
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """A check whose markers are not usable is an error verdict, not a crash of the run; a
        check for a mentor's review is listed, never run."""
        for item in list(items):
            look_at = review_of(item)
            if look_at is not None:
                items.remove(item)
                self.context.reviews.append(Review(item.nodeid, title_of(item), look_at))
                continue
            problem = marker_problem(item)
            if problem is not None:
                items.remove(item)
                self.context.results.append(
                    CheckResult(
                        item.nodeid, title_of(item), "error", found=problem, hint=COURSE_BUG
                    )
                )

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)
        self.collected = {item.nodeid: title_of(item) for item in session.items}

    def unreported(self) -> list[CheckResult]:
        """An error verdict for each collected check the run never reported (a check ended the
        run early, e.g. with ``pytest.exit``): such a run is never a pass."""
        seen = {r.id for r in self.context.results}
        why = self.ended_by or "a check stopped the run or crashed it"
        found = f"the run ended before this check reported ({why})"
        return [
            CheckResult(nodeid, title, "error", found=found, hint=COURSE_BUG)
            for nodeid, title in self.collected.items()
            if nodeid not in seen
        ]

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.skipped and report.nodeid.endswith(".py"):  # the module skipped itself
            why = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
            self.context.results.append(
                CheckResult(
                    id=report.nodeid,
                    title=f"load {report.nodeid}",
                    outcome="error",
                    found=f"the module skipped itself while loading ({str(why).strip()}), "
                    "so none of its checks ran",
                    hint="a module of checks never skips: block a check that cannot run "
                    "(mlops_roadmap.checking.blocked); a course bug, tell the course author",
                )
            )
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
        with limits.alarm(limit, f"the check ran for more than {limit:g} s and was stopped"):
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
                (EXTERNAL, str(marker_arg(item, "external", "") or "")),
            ]
        if call.excinfo is not None:
            report.user_properties.append((VERDICT, _classify(call.excinfo.value)))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.phases.setdefault(report.nodeid, []).append(report)
        if report.when == "teardown":
            self.context.results.append(verdict(self.phases.pop(report.nodeid)))


def add_markers(config: pytest.Config) -> None:
    """Declare the engine's markers (points, hint, requires, timeout, title, external)."""
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
        external=str(props.get(EXTERNAL, "")),
    )


def review_of(item: pytest.Item) -> str | None:
    """What a mentor should look at, for a check marked ``review`` (None for any other)."""
    mark = item.get_closest_marker("review")
    if mark is None:
        return None
    return str(mark.args[0]) if mark.args else ""


def title_of(item: pytest.Item) -> str:
    """A check's title: its ``title`` marker, else its docstring's first line, else its name."""
    marked = marker_arg(item, "title", None)
    if marked is not None:
        return str(marked)
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    return doc.strip().splitlines()[0] if doc.strip() else item.name


def marker_problem(item: pytest.Item) -> str | None:
    """What is wrong with the check's ``points`` or ``timeout`` marker (None when usable)."""
    for name, top, what in MARKER_RANGES:
        mark = item.get_closest_marker(name)
        if mark is None or not mark.args:
            continue
        value = mark.args[0]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not (0 <= value <= top) or (name == "timeout" and value == 0):
            return f"@pytest.mark.{name}({brief(value, 40)}): expected {what}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"@pytest.mark.{name}({value!r}): expected {what}"
    return None


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
    if isinstance(error, CheckEscaped):
        return "error", "", str(error), COURSE_BUG
    if isinstance(error, AssertionError):
        return "failed", "", str(error).split("\nassert ")[0].strip() or "an assertion failed", ""
    if isinstance(error, pytest.skip.Exception):
        return "blocked", "", str(error), ""
    return "error", "", f"the check itself broke: {type(error).__name__}: {error}", COURSE_BUG
