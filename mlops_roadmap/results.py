"""What a run of a week's checks found, as plain data (and its documented JSON shape)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

OUTCOMES = ("passed", "failed", "blocked", "error")
JSON_FORMAT = 1


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict. ``error`` means the check itself broke (a course bug)."""

    id: str
    title: str
    outcome: str
    expected: str = ""
    found: str = ""
    hint: str = ""
    points: float = 1.0
    duration: float = 0.0
    notes: str = ""  # what the check measured (`record_property`), shown even on a pass

    @property
    def message(self) -> str:
        if self.outcome == "passed":
            return ""
        parts = [
            f"expected {self.expected}" if self.expected else "",
            f"found {self.found}" if self.expected else self.found,
        ]
        return "; ".join(p for p in parts if p)


@dataclass(frozen=True)
class RunReport:
    """All the checks of one week, run once."""

    week: str
    title: str
    results: tuple[CheckResult, ...]
    duration: float
    learner_seconds: float
    commit: str | None = None

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.outcome == "passed" for r in self.results)

    @property
    def points(self) -> float:
        return sum(r.points for r in self.results if r.outcome == "passed")

    @property
    def max_points(self) -> float:
        return sum(r.points for r in self.results)

    def to_json(self) -> dict[str, object]:
        """The shape `check --json` prints (documented in README.md)."""
        return {
            "format": JSON_FORMAT,
            "week": self.week,
            "title": self.title,
            "passed": self.passed,
            "commit": self.commit,
            "counts": {o: self.count(o) for o in OUTCOMES},
            "points": self.points,
            "max_points": self.max_points,
            "duration": round(self.duration, 3),
            "learner_seconds": round(self.learner_seconds, 3),
            "checks": [
                {**asdict(r), "duration": round(r.duration, 3), "message": r.message}
                for r in self.results
            ],
        }


def report_from_json(data: dict[str, object]) -> RunReport:
    """Read back what ``RunReport.to_json`` wrote (as a grading sandbox returns it)."""
    if data.get("format") != JSON_FORMAT:
        raise ValueError(f"unknown report format {data.get('format')!r}")
    names = {f for f in CheckResult.__dataclass_fields__}
    checks = data.get("checks")
    if not isinstance(checks, list):
        raise ValueError("report has no list of checks")
    results = tuple(CheckResult(**{k: v for k, v in c.items() if k in names}) for c in checks)
    for r in results:
        if r.outcome not in OUTCOMES:
            raise ValueError(f"check {r.id!r} has unknown outcome {r.outcome!r}")
    commit = data.get("commit")
    return RunReport(
        str(data["week"]),
        str(data["title"]),
        results,
        float(data["duration"]),  # type: ignore[arg-type]
        float(data["learner_seconds"]),  # type: ignore[arg-type]
        commit if isinstance(commit, str) else None,
    )
