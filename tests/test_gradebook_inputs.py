"""A grade is reused only while everything its week's checks execute is unchanged: the week's
checks, the course's shared check package, the data sets, roadmap.yaml and the engine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap.grading.gradebook import checks_digest
from tests import classroom
from tests.conftest import FIXTURES, Cli

TOY = FIXTURES / "toy-course"
WORK = {"answer.txt": "42\n", "greet.py": "print('hello, world')\n"}


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """The toy course with a shared check package and a data set."""
    root = tmp_path / "course"
    shutil.copytree(TOY, root)
    (root / "checks" / "_lib" / "toy_checks").mkdir(parents=True)
    (root / "checks" / "_lib" / "toy_checks" / "__init__.py").write_text("ANSWER = 42\n")
    (root / "data" / "numbers").mkdir(parents=True)
    (root / "data" / "numbers" / "numbers.csv").write_text("n\n42\n")
    return root


@pytest.mark.parametrize(
    ("changed", "redone"),
    [
        ("checks/week01/test_first.py", True),
        ("checks/_lib/toy_checks/__init__.py", True),
        ("checks/_lib/toy_checks/new_helper.py", True),
        ("data/numbers/numbers.csv", True),
        ("roadmap.yaml", True),
        ("checks/week02/test_second.py", False),  # another week's checks
        ("solutions/week01/greet.py", False),
        ("templates/week01/answer.txt", False),
        ("weeks/week01.md", False),
        ("checks/_lib/toy_checks/__pycache__/x.cpython-311.pyc", False),
    ],
)
def test_the_digest_covers_what_the_checks_execute(
    course: Path, changed: str, redone: bool
) -> None:
    before = checks_digest(course, "week01")
    path = course / changed
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write("\n# changed\n")
    assert (checks_digest(course, "week01") != before) is redone


def test_a_course_without_shared_checks_or_data(tmp_path: Path) -> None:
    shutil.copytree(TOY, tmp_path / "course")
    assert checks_digest(tmp_path / "course", "week01") == checks_digest(
        tmp_path / "course", "week01"
    )


def a_class(course: Path, root: Path, cli: Cli) -> Path:
    """One student whose week 1 passes, committed; the roster naming them."""
    repo = root / "ada"
    assert cli("--course", course, "init", repo).returncode == 0
    assert cli("--course", course, "start", "1", cwd=repo).returncode == 0
    week = next(repo.glob("week01-*"))
    for name, text in WORK.items():
        (week / name).write_text(text, encoding="utf-8")
    classroom.commit(repo, "week 1", classroom.COMMITTED)
    return classroom.roster(root / "roster.csv", [("ada", "Ada", str(repo))])


def test_a_changed_shared_check_package_regrades(course: Path, tmp_path: Path, cli: Cli) -> None:
    roster = a_class(course, tmp_path / "class", cli)
    args = ("--course", course, "grade", roster, "--week", "1", "--backend", "process")
    args += ("--out", tmp_path / "out", "--json")

    def reused() -> int:
        done = cli(*args, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        data: dict[str, Any] = json.loads(done.stdout)
        (only,) = data["grades"]
        assert (only["status"], only["points"]) == ("graded", 3), only
        return int(data["summary"]["reused"])

    assert reused() == 0
    assert reused() == 1  # nothing changed
    helper = course / "checks" / "_lib" / "toy_checks" / "__init__.py"
    helper.write_text("ANSWER = 42  # the same answer, checked by new code\n")
    assert reused() == 0
    assert reused() == 1
