"""One student never stops the class: repositories that cannot be fetched, unpacked or graded sit
beside honest ones in a class graded for real (the process jail); each becomes that student's
grade, the honest grades come out right, and the gradebook, CSV and report are all written."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest

from mlops_roadmap.grading import fetch, unpack
from mlops_roadmap.grading.model import Student
from tests import classroom
from tests.conftest import Cli
from tests.timing import scaled

# Links whose text stays inside the repository while the path they name leaves it through
# another link: tarfile's own filter refuses the first (it sees y on disk) and misses the second
# (a comes before b, so b is not on disk yet when a is judged).
THROUGH = {"x/y": "-> ..", "x/z": "-> y/../.."}
BEFORE = {"x/a": "-> b/../..", "x/b": "-> .."}


def test_links_that_leave_through_other_links_are_dropped(tmp_path: Path) -> None:
    template, folder = classroom.template(tmp_path / "template")
    for name, links in (("through", THROUGH), ("before", BEFORE)):
        repo = classroom.student(template, folder, tmp_path / name, None, extra=links)
        fetched = fetch.fetch(Student(name, name, str(repo)), str(repo), tmp_path / "cache")
        tree = tmp_path / f"{name}-tree"
        notes = unpack.export(fetched, fetched.tip, tree)
        (bad, good) = ("z", "y") if name == "through" else ("a", "b")
        assert notes == [
            f"dropped symlink {folder}/x/{bad} -> {links['x/' + bad][3:]} (leaves the repo)"
        ]
        assert not (tree / folder / "x" / bad).is_symlink()
        assert (tree / folder / "x" / good).resolve() == (tree / folder).resolve()
        links_out = [
            p for p in tree.rglob("*")
            if p.is_symlink() and not p.resolve().is_relative_to(tree.resolve())
        ]  # fmt: skip
        assert links_out == []


@pytest.fixture(scope="module")
def roster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("broken-class")
    template, folder = classroom.template(root / "template")
    solution = classroom.solution()
    rows = [
        ("ada", "Ada", classroom.student(template, folder, root / "ada", solution), ""),
        ("bob", "Bob", classroom.student(template, folder, root / "bob", None), ""),
        (
            "through",
            "Through",
            classroom.student(template, folder, root / "through", solution, extra=THROUGH),
            "",
        ),
        (
            "before",
            "Before",
            classroom.student(template, folder, root / "before", solution, extra=BEFORE),
            "",
        ),
        ("empty", "Empty", root / "empty", ""),
        ("noweek", "No Week", root / "noweek", ""),
        ("gone", "Gone", root / "gone", ""),
        ("ext", "Ext", "ext::sh -c true", ""),
        ("branch", "Branch", root / "ada", "no-such-branch"),
    ]
    (root / "empty").mkdir()
    subprocess.run(["git", "init", "-q", str(root / "empty")], check=True, timeout=scaled(30))
    (root / "noweek").mkdir()
    (root / "noweek" / "README.md").write_text("my notes\n")
    classroom.commit(root / "noweek", "notes", classroom.COMMITTED)
    lines = ["id,name,repo,branch", *(f"{i},{n},{r},{b}" for i, n, r, b in rows)]
    path = root / "roster.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow  # a whole class or week run through the CLI
def test_a_broken_class_is_graded_whole(roster: Path, cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = cli("grade", roster, "--week", "2", "--backend", "process", "--jobs", "4",
               "--out", out, "--json", timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    grades = {g["student"]: g for g in json.loads(done.stdout)["grades"]}

    def said(sid: str) -> tuple[str, float]:
        return grades[sid]["status"], grades[sid]["points"]

    assert said("ada") == ("graded", 12) and grades["ada"]["message"] == ""
    assert said("bob")[0] == "graded" and 0 < said("bob")[1] < 12
    folder = next(p.name for p in (roster.parent / "ada").iterdir() if p.name.startswith("week02"))
    for sid, bad, target in (("through", "z", "y/../.."), ("before", "a", "b/../..")):
        assert said(sid) == ("graded", 12), grades[sid]
        assert (
            grades[sid]["message"]
            == f"dropped symlink {folder}/x/{bad} -> {target} (leaves the repo)"
        )
    assert said("empty") == ("fetch-failed", 0) and "git fetch failed" in grades["empty"]["message"]
    assert (
        said("noweek") == ("no-submission", 0) and "no folder week02" in grades["noweek"]["message"]
    )
    assert said("gone") == ("fetch-failed", 0)
    assert said("ext") == ("fetch-failed", 0) and "refused" in grades["ext"]["message"]
    assert said("branch") == ("fetch-failed", 0) and "no-such-branch" in grades["branch"]["message"]

    rows = {r["id"]: r for r in csv.DictReader(io.StringIO((out / "gradebook.csv").read_text()))}
    assert set(rows) == set(grades) and {r["week02:max"] for r in rows.values()} == {"12"}
    assert (rows["ada"]["total"], rows["through"]["total"], rows["gone"]["total"]) == (
        "12",
        "12",
        "0",
    )
    report = (out / "report.html").read_text()
    assert all(f'id="s-{sid}"' in report for sid in grades)
    assert len(list((out / "junit").glob("*.xml"))) == len(grades)
    assert len(list((out / "gradescope").glob("*/results.json"))) == len(grades)
