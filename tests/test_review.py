"""A check marked ``review`` is what only a person can judge (a demo, an answer's quality): it is
listed with what a mentor should look at, never run, and never counted: not in the checks, the
counts, the points or the pass, in the terminal, in `check --json`, in JUnit and Gradescope
exports, in the manifest a grader holds verdicts against, or in `course verify`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlops_roadmap import course
from mlops_roadmap.commands.verify import verify
from mlops_roadmap.manifest import collect_week
from mlops_roadmap.results import CheckResult, Review, RunReport, report_from_json
from tests.conftest import Cli

REVIEWED = '''
import pytest


@pytest.mark.review("Watch the recording: does it show the problem, a run and a result?")
def test_demo() -> None:
    """The demo video"""
    raise AssertionError("a check for review is never run")


@pytest.mark.review
def test_bare() -> None:
    """An answer's quality"""
'''


@pytest.fixture
def reviewed(toy_course: Path) -> Path:
    (toy_course / "checks" / "week01" / "test_reviewed.py").write_text(REVIEWED, encoding="utf-8")
    return toy_course


def solved(cli: Cli, toy_course: Path, toy_ws: Path) -> Path:
    cli("--course", toy_course, "start", "1", cwd=toy_ws)
    week = next(toy_ws.glob("week01-*"))
    shutil.copytree(toy_course / "solutions" / "week01", week, dirs_exist_ok=True)
    return week


def test_check_lists_reviews_apart_and_passes_without_them(
    cli: Cli, reviewed: Path, toy_ws: Path
) -> None:
    week = solved(cli, reviewed, toy_ws)
    done = cli("--course", reviewed, "check", "--json", cwd=week)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["passed"] is True
    assert [c["title"] for c in report["checks"]] == [
        "answer.txt holds the answer",
        "greet.py greets the world",
    ]
    assert report["counts"] == {"passed": 2, "failed": 0, "blocked": 0, "error": 0}
    assert report["max_points"] == 3.0
    assert report["reviews"] == [
        {
            "id": "test_reviewed.py::test_demo",
            "title": "The demo video",
            "look_at": "Watch the recording: does it show the problem, a run and a result?",
        },
        {"id": "test_reviewed.py::test_bare", "title": "An answer's quality", "look_at": ""},
    ]
    assert report_from_json(report).reviews == (
        Review("test_reviewed.py::test_demo", "The demo video", report["reviews"][0]["look_at"]),
        Review("test_reviewed.py::test_bare", "An answer's quality", ""),
    )
    shown = cli("--course", reviewed, "check", cwd=week)
    assert shown.returncode == 0
    text = shown.stdout
    assert "For a mentor's review (neither passed nor failed):" in text
    assert text.index("greet.py greets the world") < text.index("The demo video")
    assert "does it show the problem" in text
    assert "PASSED" in text and "2 passed" in text
    status = cli("--course", reviewed, "status", "--json", cwd=toy_ws)
    assert status.returncode == 0, status.stderr


def test_exports_carry_only_the_checks(cli: Cli, reviewed: Path, toy_ws: Path) -> None:
    week = solved(cli, reviewed, toy_ws)
    junit = cli("--course", reviewed, "check", "--format", "junit", cwd=week)
    assert junit.returncode == 0 and 'tests="2"' in junit.stdout
    assert "The demo video" not in junit.stdout
    scored = json.loads(
        cli("--course", reviewed, "check", "--format", "gradescope", cwd=week).stdout
    )
    assert [t["name"] for t in scored["tests"]] == [
        "week01: answer.txt holds the answer",
        "week01: greet.py greets the world",
    ]


def test_the_manifest_and_verify_leave_reviews_out(reviewed: Path) -> None:
    loaded = course.load(reviewed)
    manifest = collect_week(loaded, loaded.plan.week(1))
    assert [c.id for c in manifest.checks] == [
        "test_first.py::test_answer",
        "test_first.py::test_greeting",
    ]
    v = verify(loaded, [1])
    assert v.problems == []
    (proof,) = v.proofs
    assert [r.title for r in proof.solution.reviews] == ["The demo video", "An answer's quality"]


def test_a_report_without_reviews_reads_back_and_bad_ones_are_refused() -> None:
    report = RunReport("week01", "t", (CheckResult("a", "A", "passed"),), 1.0, 0.5)
    data = report.to_json()
    assert data["reviews"] == []
    del data["reviews"]  # as written before reviews existed
    assert report_from_json(data) == report
    with pytest.raises(ValueError, match="expected id, title and look_at"):
        report_from_json({**report.to_json(), "reviews": [{"id": "x"}]})
