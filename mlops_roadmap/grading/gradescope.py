"""Gradescope's autograder ``results.json``: a test per check, the score after late penalties.

The shape follows Gradescope's autograder specification: a top-level ``score`` (which overrides the
sum of the tests, so a late penalty shows), ``execution_time`` in whole seconds, ``output`` for the
whole submission, and ``tests`` with ``name``, ``score``, ``max_score``, ``status`` (``passed`` or
``failed``), ``output`` and ``visibility``. Every string is marked as plain text, so a student's
message never renders as HTML or Markdown. No leaderboard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mlops_roadmap.grading.junit import as_report, details
from mlops_roadmap.grading.model import Grade
from mlops_roadmap.results import CheckResult, RunReport

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
_WHY = {
    "blocked": "this check could not run in the grader",
    "error": "a fault in the check, not in your work",
}


def _test(week: str, r: CheckResult, visibility: str, full: float) -> dict[str, object]:
    passed = r.outcome == "passed"
    lines = [f"{r.outcome}: {_WHY[r.outcome]}"] if r.outcome in _WHY else []
    lines.append(r.notes if passed else details(r))
    return {
        "name": f"{week}: {r.title or r.id}",
        "name_format": "text",
        "score": float(r.points if passed else 0.0),
        "max_score": float(full),
        "status": "passed" if passed else "failed",
        "output": "\n".join(line for line in lines if line),
        "output_format": "text",
        "visibility": visibility,
        "tags": [week],
    }


def _summary(run: Grade | RunReport, report: RunReport, score: float, full: float) -> str:
    line = f"{report.week} ({report.title}): {score:g}/{full:g} points"
    if run.commit:
        line += f" · commit {run.commit[:7]}"
    if isinstance(run, Grade) and run.late_days:
        line += f" · {run.late_days:g} days late, {run.penalty:g} points off"
    if isinstance(run, Grade) and run.message:
        line += f" · {run.message}"
    return line


def gradescope_results(
    runs: Sequence[Grade | RunReport],
    *,
    visibility: str = "visible",
    full_marks: Mapping[str, float] | None = None,
) -> dict[str, object]:
    """One submission's results.json; ``full_marks`` gives a week's max when it was not graded."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    tests: list[dict[str, object]] = []
    lines: list[str] = []
    score = seconds = 0.0
    for run in runs:
        report, _ = as_report(run)
        graded = not (isinstance(run, Grade) and run.report is None)
        full = report.max_points if graded else (full_marks or {}).get(report.week, 0.0)
        for r in report.results:
            tests.append(_test(report.week, r, visibility, r.points if graded else full))
        score += run.points
        seconds += report.duration
        lines.append(_summary(run, report, run.points, full))
    return {
        "score": round(score, 4),
        "execution_time": round(seconds),
        "output": "\n".join(lines),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "tests": tests,
    }
