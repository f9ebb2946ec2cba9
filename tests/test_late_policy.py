"""The late policy: read from roadmap.yaml with located errors, and applied to a late grade."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_roadmap import roadmap
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import fetch, grader, history
from mlops_roadmap.grading.model import Grade, Student
from mlops_roadmap.results import CheckResult, RunReport
from tests.test_roadmap import write

STUDENT = Student("ada", "Ada", "/r")


def graded(late_days: float) -> Grade:
    report = RunReport("week02", "t", (CheckResult("a", "A", "passed", points=10),), 1.0, 0.5)
    return Grade(STUDENT, "week02", "graded", "abc", late_days, 1, report=report)


def test_policy_is_read_from_the_course(tmp_path: Path) -> None:
    path = write(tmp_path, lambda d: d.update(grading={"late_policy": {"kind": "zero"}}))
    assert roadmap.load(path).late_policy == roadmap.LatePolicy("zero")
    assert roadmap.load(write(tmp_path, lambda d: None)).late_policy.kind == "none"


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"kind": "sometimes"}, "grading.late_policy.kind: expected one of none, zero, penalty"),
        ({"kind": "penalty"}, "grading.late_policy: missing key 'per_day'"),
        ({"kind": "penalty", "per_day": 2}, "late_policy.per_day: expected a number from 0 to 1"),
        ({"per_day": 0.1}, "grading.late_policy: missing key 'kind'"),
    ],
)
def test_bad_policy_names_the_place(tmp_path: Path, policy: dict, message: str) -> None:
    path = write(tmp_path, lambda d: d.update(grading={"late_policy": policy}))
    with pytest.raises(RoadmapError, match=message):
        roadmap.load(path)


@pytest.mark.parametrize(
    ("policy", "late_days", "points"),
    [
        (roadmap.LatePolicy("none"), 0.0, 10),
        (roadmap.LatePolicy("zero"), 0.2, 0),
        (roadmap.LatePolicy("penalty", 0.1), 0.2, 9),  # part of a day counts as a day
        (roadmap.LatePolicy("penalty", 0.1), 2.5, 7),
        (roadmap.LatePolicy("penalty", 0.1, max_days=2), 2.5, 0),
        (roadmap.LatePolicy("penalty", 0.5), 4.0, 0),  # never below zero
    ],
)
def test_penalty(policy: roadmap.LatePolicy, late_days: float, points: float) -> None:
    assert grader._penalize(graded(late_days), policy).points == pytest.approx(points)


def test_which_commit_each_policy_grades() -> None:
    fetched = fetch.Fetched(Path("/cache"), "tip")
    pick = history.Pick("on-time", late_commits=2, late_days=1.5)
    assert grader._graded_commit(fetched, pick, roadmap.LatePolicy("none")) == ("on-time", 0.0)
    assert grader._graded_commit(fetched, pick, roadmap.LatePolicy("zero")) == ("tip", 1.5)
    on_time = history.Pick("tip", 0, 0.0)
    assert grader._graded_commit(fetched, on_time, roadmap.LatePolicy("zero")) == ("tip", 0.0)
