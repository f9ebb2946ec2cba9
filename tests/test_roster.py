"""The roster: rows become students; a bad row is an error naming the row and the column."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import roster


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_become_students(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id,name,repo,branch\n"
        "ada,Ada Lovelace,https://git.example.edu/ada/mlops.git,main\n"
        "\n"
        'alan,"Turing, Alan",git@git.example.edu:alan/mlops.git,\n'
        "grace,Grace,./repos/grace,\n",
    )
    students = roster.load(path)
    assert [(s.id, s.name, s.branch, s.row) for s in students] == [
        ("ada", "Ada Lovelace", "main", 2),
        ("alan", "Turing, Alan", None, 4),
        ("grace", "Grace", None, 5),
    ]
    assert roster.local_path(students[0], path) is None
    assert roster.local_path(students[2], path) == (tmp_path / "repos" / "grace").resolve()


def test_header_aliases_and_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes("\ufeffStudent_ID,Name,Repository\nx1,X,ssh://h/x.git\n".encode())
    assert roster.load(path)[0].repo == "ssh://h/x.git"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,name\n", "row 1 (the header) has no column 'repo'"),
        ("id,name,repo\nada,Ada,--upload-pack=evil\n", "row 2, column 'repo'"),
        ("id,name,repo\n../x,Ada,/tmp/a\n", "row 2, column 'id'"),
        ("id,name,repo\nada,,/tmp/a\n", "row 2, column 'name': empty"),
        (
            "id,name,repo\nada,Ada,/tmp/a\nada,Ada2,/tmp/b\n",
            "row 3, column 'id': 'ada' is already on row 2",
        ),
        ("id,name,repo,branch\nada,Ada,/tmp/a,-evil\n", "row 2, column 'branch'"),
        ("id,name,repo\n", "lists no students"),
    ],
)
def test_bad_rows_name_the_row_and_column(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RoadmapError) as caught:
        roster.load(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_missing_roster(tmp_path: Path) -> None:
    with pytest.raises(RoadmapError, match="no such roster"):
        roster.load(tmp_path / "none.csv")


@pytest.mark.parametrize(
    ("repo", "message"),
    [
        ("ext::sh -c 'touch /tmp/x'", "transport that runs commands"),
        ("fd::7", "transport that runs commands"),
        ("ftp://h/x", "the ftp:// transport is not allowed"),
        ("file:///etc", "the file:// transport is not allowed"),
    ],
)
def test_unsafe_transports_are_kept_for_refusal(tmp_path: Path, repo: str, message: str) -> None:
    """One student's unsafe URL must not stop the class: the grader refuses it for them alone."""
    path = write(tmp_path, f"id,name,repo\nada,Ada,{repo}\nbob,Bob,https://h/b.git\n")
    ada, bob = roster.load(path)
    assert message in (roster.repo_problem(ada.repo) or "")
    assert roster.repo_problem(bob.repo) is None
