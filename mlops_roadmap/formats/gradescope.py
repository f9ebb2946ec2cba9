"""Gradescope's autograder ``results.json``: a test per check, a score that can differ from theirs.

The shape follows Gradescope's autograder specification: a top-level ``score`` (which overrides the
sum of the tests, so a late penalty shows), ``execution_time`` in whole seconds, ``output`` for the
whole submission, and ``tests`` with ``name``, ``score``, ``max_score``, ``status`` (``passed`` or
``failed``), ``output`` and ``visibility``. Every string is marked as plain text, so a student's
message never renders as HTML or Markdown. No leaderboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from mlops_roadmap.results import CheckResult, RunReport

Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]
VISIBILITIES: tuple[Visibility, ...] = get_args(Visibility)
_WHY = {
    "blocked": "this check could not run in the grader",
    "error": "a fault in the check, not in your work",
}


@dataclass(frozen=True)
class Scored:
    """One week's run as scored: its report, the score it earned, and remarks for the summary."""

    report: RunReport
    score: float  # after any penalty; the tests' own scores stay as the checks gave them
    remarks: tuple[str, ...] = ()


def scored(report: RunReport) -> Scored:
    """A workspace's own run, scored as its checks say."""
    return Scored(report, report.points)


def _test(week: str, r: CheckResult, visibility: Visibility) -> dict[str, object]:
    passed = r.outcome == "passed"
    lines = [f"{r.outcome}: {_WHY[r.outcome]}"] if r.outcome in _WHY else []
    lines.append(r.notes if passed else r.details)
    return {
        "name": f"{week}: {r.title or r.id}",
        "name_format": "text",
        "score": float(r.points if passed else 0.0),
        "max_score": float(r.points),
        "status": "passed" if passed else "failed",
        "output": "\n".join(line for line in lines if line),
        "output_format": "text",
        "visibility": visibility,
        "tags": [week],
    }


def _summary(run: Scored) -> str:
    report = run.report
    line = f"{report.week} ({report.title}): {run.score:g}/{report.max_points:g} points"
    if report.commit:
        line += f" · commit {report.commit[:7]}"
    return " · ".join([line, *run.remarks])


def gradescope_results(
    runs: Sequence[Scored], *, visibility: Visibility = "visible"
) -> dict[str, object]:
    """One submission's results.json, from its runs."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    tests = [_test(run.report.week, r, visibility) for run in runs for r in run.report.results]
    return {
        "score": round(sum(run.score for run in runs), 4),
        "execution_time": round(sum(run.report.duration for run in runs)),
        "output": "\n".join(_summary(run) for run in runs),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "tests": tests,
    }
