"""A week's check manifest: each check's id, title and points, as the course defines them.

Collected by pytest with the engine's plugin and ``--collect-only``, so nothing runs: the
grader builds it in its own process and holds every verdict a sandbox returns against it.
pytest loads only when collecting; the types stay light for the modules that read grades.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlops_roadmap.errors import RoadmapError

if TYPE_CHECKING:
    import pytest

    from mlops_roadmap.course import Course
    from mlops_roadmap.roadmap import Week


@dataclass(frozen=True)
class ManifestCheck:
    """One check as the course defines it (a parametrized check: one per case)."""

    id: str  # pytest's node id, as a run's verdict names it
    title: str
    points: float
    external: str = ""  # what outside this machine it needs (its `external` marker), if any


@dataclass(frozen=True)
class Manifest:
    """Every check of one week, in the order they run."""

    week: str  # week id, e.g. "week02"
    title: str
    checks: tuple[ManifestCheck, ...]

    @property
    def max_points(self) -> float:
        return sum(c.points for c in self.checks)

    def to_json(self) -> dict[str, object]:
        return {
            "week": self.week,
            "title": self.title,
            "checks": [
                {"id": c.id, "title": c.title, "points": c.points}
                | ({"external": c.external} if c.external else {})
                for c in self.checks
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        """Read back what ``to_json`` wrote."""
        checks = tuple(
            ManifestCheck(
                str(c["id"]), str(c["title"]), float(c["points"]), str(c.get("external", ""))
            )
            for c in data["checks"]
        )
        return cls(str(data["week"]), str(data["title"]), checks)


class _Collector:
    """Records the collected checks (and what failed to load) without running any."""

    def __init__(self) -> None:
        self.checks: list[ManifestCheck] = []
        self.broken: list[str] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        from mlops_roadmap.plugin import add_markers

        add_markers(config)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            lines = str(report.longrepr).strip().splitlines()
            self.broken.append(f"{report.nodeid}: {lines[-1] if lines else 'did not load'}")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        from mlops_roadmap.plugin import marker_arg, marker_problem, review_of, title_of

        for item in session.items:
            if review_of(item) is not None:
                continue  # for a mentor: never run, so never in a verdict
            problem = marker_problem(item)
            if problem is not None:
                self.broken.append(f"{item.nodeid}: {problem}")
                continue
            points = float(marker_arg(item, "points", 1))
            external = str(marker_arg(item, "external", "") or "")
            self.checks.append(ManifestCheck(item.nodeid, title_of(item), points, external))


def collect_week(course: Course, week: Week) -> Manifest:
    """``week``'s checks as the course defines them, collected (never run) in this process."""
    import pytest

    from mlops_roadmap import checklib, runner

    checks = course.checks(week)
    if not course.has_checks(week):
        raise RoadmapError(f"{checks}: {week.id} has no automated checks to collect")
    collector = _Collector()
    try:
        pytest.main(
            [*runner.pytest_args(checks, False, None), "--collect-only"],
            plugins=["mlops_roadmap.fixtures", collector],
        )
    finally:
        checklib.forget(checks.parent)
    if collector.broken or not collector.checks:
        why = "; ".join(collector.broken) or "no check was collected"
        raise RoadmapError(f"{checks}: {week.id}'s checks do not load ({why}): fix the course")
    ids = [c.id for c in collector.checks]
    if len(set(ids)) != len(ids):
        raise RoadmapError(f"{checks}: two of {week.id}'s checks share an id: fix the course")
    return Manifest(week.id, week.title, tuple(collector.checks))
