"""The gradebook keeps every grade and gives one back only for the same commit and checks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading.gradebook import Gradebook, checks_digest
from mlops_roadmap.grading.model import Grade, Student
from mlops_roadmap.results import CheckResult, RunReport

ADA = Student("ada", "Ada", "/repos/ada", None, 2)


def a_grade() -> Grade:
    report = RunReport(
        "week02",
        "Intro to ML",
        (
            CheckResult("t::a", "A", "passed", points=2),
            CheckResult("t::b", "B", "failed", "x", "y", "do z", 1, 0.2),
        ),
        3.5,
        2.0,
    )
    return Grade(ADA, "week02", "graded", "abc123", 1.5, 2, 0.3, report, "jail", "", 4.0)


def test_a_stored_grade_comes_back_for_the_same_key(tmp_path: Path) -> None:
    book = Gradebook(tmp_path / "out" / "gradebook.db")
    book.store(a_grade(), "k1")
    assert book.reusable(ADA, "week02", "k1") == a_grade()
    assert book.reusable(ADA, "week02", "k2") is None  # a new commit or changed checks
    assert book.reusable(ADA, "week03", "k1") is None
    book.close()
    again = Gradebook(tmp_path / "out" / "gradebook.db")  # survives a restart
    assert again.reusable(ADA, "week02", "k1") == a_grade()
    again.close()


def test_failed_fetches_are_never_reused(tmp_path: Path) -> None:
    book = Gradebook(tmp_path / "gradebook.db")
    book.store(Grade(ADA, "week02", "fetch-failed", message="timeout"), "k1")
    assert book.reusable(ADA, "week02", "k1") is None
    book.close()


def test_digest_follows_the_checks(tmp_path: Path) -> None:
    checks = tmp_path / "checks" / "week02"
    checks.mkdir(parents=True)
    (checks / "test_a.py").write_text("def test_a(): pass\n")
    first = checks_digest(tmp_path, "week02")
    assert checks_digest(tmp_path, "week02") == first
    (checks / "test_a.py").write_text("def test_a(): assert False\n")
    assert checks_digest(tmp_path, "week02") != first


def test_newer_or_broken_gradebooks_are_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version=99")
    with pytest.raises(RoadmapError, match="newer than this mlops-roadmap"):
        Gradebook(newer)
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database at all" * 100)
    with pytest.raises(RoadmapError, match="not a readable gradebook"):
        Gradebook(broken)
    assert broken.read_bytes().startswith(b"not a database")  # left as it was
