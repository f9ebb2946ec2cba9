"""What a run of a week's checks found, as plain data (and its documented JSON shape)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal, get_args

# A check's verdict. ``blocked``: it could not run here; ``error``: the check itself broke.
Outcome = Literal["passed", "failed", "blocked", "error"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
JSON_FORMAT = 1


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict. ``error`` means the check itself broke (a course bug)."""

    id: str
    title: str
    outcome: Outcome
    expected: str = ""
    found: str = ""
    hint: str = ""
    points: float = 1.0
    duration: float = 0.0
    notes: str = ""  # what the check measured (`record_property`), shown even on a pass
    external: str = ""  # what outside this machine it needs (a cluster, a cloud account), if any

    @property
    def waits_elsewhere(self) -> bool:
        """Blocked only for want of something outside this machine (its ``external`` need)."""
        return self.outcome == "blocked" and bool(self.external)

    @property
    def message(self) -> str:
        if self.outcome == "passed":
            return ""
        parts = [
            f"expected {self.expected}" if self.expected else "",
            f"found {self.found}" if self.expected else self.found,
        ]
        return "; ".join(p for p in parts if p)

    @property
    def details(self) -> str:
        """Expected, found and hint, one per line (a failure's body in JUnit and Gradescope)."""
        parts = (("expected", self.expected), ("found", self.found), ("hint", self.hint))
        return "\n".join(f"{label}: {value}" for label, value in parts if value)


@dataclass(frozen=True)
class Review:
    """What only a person can judge (a demo, the quality of an answer): a check marked
    ``review`` is listed with what a mentor should look at, never run, passed or failed."""

    id: str
    title: str
    look_at: str


@dataclass(frozen=True)
class RunReport:
    """All the checks of one week, run once."""

    week: str
    title: str
    results: tuple[CheckResult, ...]
    duration: float
    learner_seconds: float
    commit: str | None = None
    reviews: tuple[Review, ...] = ()  # for a mentor: never counted in passed or points

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.outcome == "passed" for r in self.results)

    @property
    def passed_offline(self) -> bool:
        """Every check this machine can run passed, and the others wait on something outside it
        (a cluster, a cloud account): not a pass, but the next week opens."""
        waiting = [r for r in self.results if r.waits_elsewhere]
        return (
            bool(waiting)
            and len(waiting) < len(self.results)
            and all(r.outcome == "passed" or r.waits_elsewhere for r in self.results)
        )

    @property
    def needs(self) -> tuple[str, ...]:
        """What the checks blocked here need from outside this machine, each once."""
        return tuple(dict.fromkeys(r.external for r in self.results if r.waits_elsewhere))

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
            "passed_offline": self.passed_offline,
            "needs": list(self.needs),
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
            "reviews": [asdict(r) for r in self.reviews],
        }


def as_outcome(value: object) -> Outcome:
    """``value`` as an outcome, when it is one (read back from JSON or the state store)."""
    for outcome in OUTCOMES:
        if value == outcome:
            return outcome
    raise ValueError(f"unknown outcome {value!r}: expected one of {', '.join(OUTCOMES)}")


def report_from_json(data: dict[str, object]) -> RunReport:
    """Read back what ``RunReport.to_json`` wrote (as a grading sandbox returns it)."""
    if data.get("format") != JSON_FORMAT:
        raise ValueError(f"unknown report format {data.get('format')!r}")
    checks = data.get("checks")
    if not isinstance(checks, list):
        raise ValueError("report has no list of checks")
    commit = data.get("commit")
    reviews = data.get("reviews", [])
    if not isinstance(reviews, list):
        raise ValueError("report's reviews are not a list")
    return RunReport(
        str(data["week"]),
        str(data["title"]),
        tuple(_check_from_json(c) for c in checks),
        float(data["duration"]),  # type: ignore[arg-type]
        float(data["learner_seconds"]),  # type: ignore[arg-type]
        commit if isinstance(commit, str) else None,
        tuple(_review_from_json(r) for r in reviews),
    )


def _review_from_json(data: object) -> Review:
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), str) for k in ("id", "title", "look_at")
    ):
        raise ValueError(f"review {data!r}: expected id, title and look_at as text")
    return Review(data["id"], data["title"], data["look_at"])


def _check_from_json(data: dict[str, object]) -> CheckResult:
    names = CheckResult.__dataclass_fields__
    try:
        outcome = as_outcome(data.get("outcome"))
    except ValueError as exc:
        raise ValueError(f"check {data.get('id')!r}: {exc}") from None
    fields = {k: v for k, v in data.items() if k in names and k != "outcome"}
    return CheckResult(outcome=outcome, **fields)  # type: ignore[arg-type]
