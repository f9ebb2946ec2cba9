"""The learner's own odd moves, through the real CLI: scaffolding into a read-only folder or where
a file stands in a folder's place, `--output` naming a folder or a read-only place, markup in a
path, week numbers that are not one plain number, errors under --json (one JSON object on stdout)
and a week folder reached through a symlink."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.faults import Faulty, make_started, no_override, read_only, started_copy

WEEK = "week01-first-steps"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_started(tmp_path_factory.mktemp("started"))


@pytest.fixture
def copy(tmp_path: Path, template: Path) -> tuple[Path, Path]:
    return started_copy(tmp_path, template)


@pytest.fixture
def faulty(copy: tuple[Path, Path], tmp_path: Path) -> Faulty:
    return Faulty(copy[0], tmp_path / "home")


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["start", "start --force"])
@pytest.mark.parametrize("how", ["read-only mount", "folder mode 555"])
def test_start_into_a_read_only_week_folder(
    how: str, force: list[str], faulty: Faulty, copy: tuple[Path, Path]
) -> None:
    ws = copy[1]
    folder = ws / WEEK
    (folder / "greet.py").unlink()  # the scaffold lays it again
    (folder / "answer.txt").write_text("mine\n")
    if how == "read-only mount":
        result = faulty.run("start", "1", *force, cwd=ws, wrapper=read_only(folder))
    else:
        folder.chmod(0o555)
        try:
            result = faulty.run("start", "1", *force, cwd=ws, wrapper=no_override())
        finally:
            folder.chmod(0o755)
    assert result.code == 1
    assert result.message.startswith(f"error: {folder / 'greet.py'}: cannot write it (")
    assert (
        f"make {folder} writable (`chmod u+w {folder}`), then run `mlops-roadmap start 1` again"
        in result.message
    )
    assert (folder / "answer.txt").read_text() == "mine\n"


def test_a_file_where_the_scaffold_puts_a_folder(faulty: Faulty, copy: tuple[Path, Path]) -> None:
    course, ws = copy
    (course / "templates" / "week01" / "src").mkdir()
    (course / "templates" / "week01" / "src" / "app.py").write_text("app = 1\n")
    (ws / WEEK / "src").write_text("my notes\n")
    result = faulty.run("start", "1", "--force", cwd=ws)
    assert result.code == 1
    assert result.message == (
        f"error: {ws / WEEK / 'src'}: a file stands where the scaffold puts a folder (for "
        f"{WEEK}/src/app.py): move it aside, then run `mlops-roadmap start 1` again"
    )
    assert (ws / WEEK / "src").read_text() == "my notes\n"


def test_a_file_where_the_week_folder_goes(faulty: Faulty, copy: tuple[Path, Path]) -> None:
    ws = copy[1]
    shutil.rmtree(ws / WEEK)
    (ws / WEEK).write_text("not a folder\n")
    result = faulty.run("start", "1", cwd=ws)
    assert result.code == 1
    assert result.message.startswith(
        f"error: {ws / WEEK}: a file stands where the scaffold puts a folder"
    )
    check = faulty.run("check", "1", cwd=ws)
    assert check.code == 1
    assert f"error: {ws / WEEK}: no such folder: run `mlops-roadmap start 1`" in check.message


def test_output_that_is_a_folder_is_refused_before_the_run(
    faulty: Faulty, copy: tuple[Path, Path]
) -> None:
    ws = copy[1]
    result = faulty.run("check", "1", "--format", "json", "--output", ".", cwd=ws)
    assert result.code == 2
    assert "Invalid value for --output: . is a folder: name a file to write" in result.message
    assert json.loads(result.out) == {
        "error": "Invalid value for --output: . is a folder: name a file to write",
        "exit_code": 2,
    }


def test_output_that_cannot_be_written_comes_after_the_report(
    faulty: Faulty, copy: tuple[Path, Path], tmp_path: Path
) -> None:
    ws = copy[1]
    out = tmp_path / "reports"
    out.mkdir()
    args = ("check", "1", "--format", "junit", "--output", out / "r.xml")
    result = faulty.run(*args, cwd=ws, wrapper=read_only(out))
    assert result.code == 1
    assert "✘  answer.txt holds the answer" in result.out
    assert (
        f"error: {out / 'r.xml'}: cannot write the junit report (Read-only file system): choose "
        "another --output (the run's report is above)" in result.message
    )


def test_markup_in_a_workspace_path_is_printed_as_it_is(faulty: Faulty, tmp_path: Path) -> None:
    result = faulty.run("init", "ws [/] x [bold]", cwd=tmp_path)
    assert result.code == 0
    assert f"Workspace ready at {tmp_path / 'ws [/] x [bold]'}" in " ".join(result.out.split())


@pytest.mark.parametrize(
    ("words", "shown"),
    [
        (["week", "²"], "'week ²'"),
        (["\u0663"], "'\u0663'"),
        (["1", "2"], "'1 2'"),
        (["week", "1", "2"], "'week 1 2'"),
        (["99999999999999999999"], "'99999999999999999999'"),
        (["9" * 5000], "'99999999999999999...999999999999999999'"),
        (["-1"], "'-1'"),
        (["1.5"], "'1.5'"),
        (["week", "one"], "'week one'"),
    ],
    ids=[
        "superscript",
        "arabic-indic",
        "two numbers",
        "week two numbers",
        "huge",
        "5000 digits",
        "negative",
        "fraction",
        "a word",
    ],
)
@pytest.mark.parametrize("command", ["start", "show"])
def test_a_week_that_is_not_one_plain_number(
    command: str, words: list[str], shown: str, faulty: Faulty, copy: tuple[Path, Path]
) -> None:
    result = faulty.run(command, "--", *words, cwd=copy[1])
    assert result.code == 2
    assert f"expected one week like 'week 5' or '5', got {shown}" in result.message
    assert len(result.err) < 2000


def test_a_week_the_course_does_not_have(faulty: Faulty, copy: tuple[Path, Path]) -> None:
    result = faulty.run("start", "week", "99", cwd=copy[1])
    assert result.code == 1
    assert result.message == "error: there is no week 99: this course has weeks 1 to 2"


@pytest.mark.parametrize(
    ("args", "code", "error"),
    [
        (["status", "--json"], 1, "not inside an mlops-roadmap workspace"),
        (["check", "9", "--json"], 1, "there is no week 9: this course has weeks 1 to 2"),
        (["check", "1", "2", "--json"], 2, "expected one week like 'week 5' or '5', got '1 2'"),
        (["status", "--json", "--bogus"], 2, "No such option: --bogus"),
        (["check", "--format=junit", "--json"], 2, "--json is --format json: give one of them"),
        (["doctor", "--json", "extra"], 2, "Got unexpected extra argument(s) (extra)"),
    ],
)
def test_errors_under_json_are_json_on_stdout(
    args: list[str], code: int, error: str, faulty: Faulty, copy: tuple[Path, Path], tmp_path: Path
) -> None:
    cwd = tmp_path if args[0] == "status" else copy[1]
    result = faulty.run(*args, cwd=cwd)
    assert result.code == code
    data = json.loads(result.out)
    assert set(data) == {"error", "exit_code"} and data["exit_code"] == code
    assert error in data["error"]


def test_a_symlinked_week_folder(faulty: Faulty, copy: tuple[Path, Path], tmp_path: Path) -> None:
    ws = copy[1]
    elsewhere = tmp_path / "elsewhere" / WEEK
    elsewhere.parent.mkdir()
    (ws / WEEK).rename(elsewhere)
    (ws / WEEK).symlink_to(elsewhere, target_is_directory=True)
    here = ws / WEEK  # as the shell names it: $PWD keeps the link
    check = faulty.run("check", cwd=here, env={"PWD": str(here)})
    assert check.code == 1
    assert "week01: First steps" in check.out
    hint = faulty.run("hint", cwd=here, env={"PWD": str(here)})
    assert hint.code == 0 and "Hint 1/3" in hint.out


def test_a_workspace_reached_through_a_symlink(
    faulty: Faulty, copy: tuple[Path, Path], tmp_path: Path
) -> None:
    link = tmp_path / "link"
    link.symlink_to(copy[1], target_is_directory=True)
    here = link / WEEK
    result = faulty.run("check", cwd=here, env={"PWD": str(here)})
    assert result.code == 1 and "week01: First steps" in result.out
