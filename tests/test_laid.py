"""The record of what a scaffold laid: written on start and reset, trusted by --force, reset and
`solution --changes`; a damaged record is a located error, never replaced."""

from __future__ import annotations

import hashlib
import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_roadmap import __version__, course, laid, scaffold, workspace
from mlops_roadmap.errors import RoadmapError
from tests.conftest import Cli, clean_env
from tests.test_cli import solve_week1
from tests.timing import scaled

WEEK = "week01-first-steps"


def record_of(ws: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((ws / ".mlops-roadmap/scaffolds/week01.json").read_text())
    return data


def started_with_my_answer(
    cli: Cli, toy_course: Path, toy_ws: Path
) -> tuple[tuple[str, Path], Path]:
    """Week 1 started on the toy course, with the learner's own answer.txt."""
    c = ("--course", toy_course)
    cli(*c, "start", "1", cwd=toy_ws)
    folder = toy_ws / WEEK
    (folder / "answer.txt").write_text("my work\n")
    return c, folder


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_start_records_each_file_laid_with_its_sha256(
    cli: Cli, toy_course: Path, toy_ws: Path
) -> None:
    assert cli("--course", toy_course, "start", "1", cwd=toy_ws).returncode == 0
    data = record_of(toy_ws)
    folder = toy_ws / WEEK
    assert data == {
        "format": 1,
        "week": "week01",
        "course": {"id": "toy-course", "version": "1"},
        "engine": __version__,
        "laid_at": data["laid_at"],
        "files": {
            name: {"sha256": sha(folder / name)} for name in ("README.md", "answer.txt", "greet.py")
        },
    }
    leftovers = [p.name for p in (toy_ws / ".mlops-roadmap/scaffolds").iterdir()]
    assert leftovers == ["week01.json"]  # no temp file left behind


def test_laying_records_every_planned_file(toy_course: Path, tmp_path: Path) -> None:
    """`course verify` prepares its workspaces through the same `scaffold.lay`."""
    c = course.load(toy_course)
    ws = workspace.init(tmp_path / "ws")
    week = c.plan.week(2)
    scaffold.lay(c, week, ws, ws.week_dir(week), force=False)
    record = laid.load(ws.laid_record(week))
    assert record is not None and (record.week, record.course_id) == ("week02", "toy-course")
    planned = scaffold.planned_files(c, week, "ws")
    assert record.files == {rel: laid.sha256(content) for rel, content in planned}


def test_force_after_a_course_change_updates_untouched_files_and_keeps_changed(
    cli: Cli, toy_course: Path, toy_ws: Path
) -> None:
    c = ("--course", toy_course)
    cli(*c, "start", "1", cwd=toy_ws)
    folder, template = toy_ws / WEEK, toy_course / "templates" / "week01"
    (folder / "answer.txt").write_text("my work\n")
    laid_answer = record_of(toy_ws)["files"]["answer.txt"]  # type: ignore[index]
    (template / "answer.txt").write_text("TODO: a number\n")
    (template / "greet.py.jinja").write_text('print("TODO v2")\n')
    (template / "extra.txt").write_text("new in the course\n")

    plain = cli(*c, "start", "1", cwd=toy_ws)
    assert plain.returncode == 0, plain.stderr
    assert "outdated greet.py" in plain.stdout and "kept yours answer.txt" in plain.stdout
    assert "created extra.txt" in plain.stdout
    assert (folder / "greet.py").read_text() == '# First steps in ws\nprint("TODO")\n'

    forced = cli(*c, "start", "1", "--force", cwd=toy_ws)
    assert forced.returncode == 0, forced.stderr
    assert "updated greet.py" in forced.stdout
    assert "kept yours answer.txt" in forced.stdout
    assert "unchanged extra.txt" in forced.stdout
    assert (folder / "greet.py").read_text() == 'print("TODO v2")\n'
    assert (folder / "answer.txt").read_text() == "my work\n"
    assert not (toy_ws / ".mlops-roadmap" / "backups").exists()  # nothing of yours replaced
    files = record_of(toy_ws)["files"]
    assert files["greet.py"] == {"sha256": sha(folder / "greet.py")}  # type: ignore[index]
    assert files["answer.txt"] == laid_answer  # type: ignore[index]  # still what was laid


def test_files_without_a_record_count_as_changed(cli: Cli, toy_course: Path, toy_ws: Path) -> None:
    c = ("--course", toy_course)
    cli(*c, "start", "1", cwd=toy_ws)
    (toy_ws / ".mlops-roadmap/scaffolds/week01.json").unlink()  # a workspace from before records
    (toy_course / "templates" / "week01" / "greet.py.jinja").write_text('print("TODO v2")\n')
    forced = cli(*c, "start", "1", "--force", cwd=toy_ws)
    assert "kept yours greet.py" in forced.stdout
    assert "unchanged answer.txt" in forced.stdout
    assert (toy_ws / WEEK / "greet.py").read_text().startswith("# First steps")
    assert "greet.py" not in record_of(toy_ws)["files"]  # type: ignore[operator]


def test_reset_backs_up_only_changed_and_own_files_and_names_the_backup(
    cli: Cli, toy_course: Path, toy_ws: Path
) -> None:
    c, folder = started_with_my_answer(cli, toy_course, toy_ws)
    (folder / "notes").mkdir()
    (folder / "notes" / "mine.md").write_text("mine\n")
    result = cli(*c, "reset", "week", "1", "--yes", cwd=toy_ws)
    assert result.returncode == 0, result.stderr
    [backup] = (toy_ws / ".mlops-roadmap" / "backups").glob(f"*/{WEEK}")
    assert f"Your changed and own files are backed up in {backup}:" in result.stdout
    backed = sorted(p.relative_to(backup).as_posix() for p in backup.rglob("*") if p.is_file())
    assert backed == ["answer.txt", "notes/mine.md"]
    assert (backup / "answer.txt").read_text() == "my work\n"
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "answer.txt", "greet.py"]
    assert (folder / "answer.txt").read_text() == "TODO\n"
    assert record_of(toy_ws)["files"]["answer.txt"] == {"sha256": sha(folder / "answer.txt")}  # type: ignore[index]

    again = cli(*c, "reset", "1", "--yes", cwd=toy_ws)
    assert "Nothing of yours needed a backup: every old file was as laid." in again.stdout
    assert len(list((toy_ws / ".mlops-roadmap" / "backups").iterdir())) == 1


def test_reset_with_a_broken_template_leaves_the_folder_as_it_was(
    cli: Cli, toy_course: Path, toy_ws: Path
) -> None:
    c, folder = started_with_my_answer(cli, toy_course, toy_ws)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    record = (toy_ws / ".mlops-roadmap/scaffolds/week01.json").read_bytes()
    (toy_course / "templates" / "week01" / "bad.txt.jinja").write_text("ok\n{{ week.colour }}\n")
    result = cli(*c, "reset", "1", "--yes", cwd=toy_ws)
    assert result.returncode == 1
    assert "bad.txt.jinja:2: cannot render the template" in result.stderr
    assert f"nothing was reset: your work is still in {folder}" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert (toy_ws / ".mlops-roadmap/scaffolds/week01.json").read_bytes() == record
    assert sorted(p.name for p in toy_ws.iterdir() if p.name.startswith(f".{WEEK}")) == []
    assert not (toy_ws / ".mlops-roadmap" / "backups").exists()


def test_reset_on_a_full_disk_leaves_the_folder_as_it_was(
    cli: Cli, toy_course: Path, toy_ws: Path, tmp_path: Path
) -> None:
    """A file-size limit makes the write fail as a full disk does (EFBIG rather than ENOSPC)."""
    c, folder = started_with_my_answer(cli, toy_course, toy_ws)
    (toy_course / "templates" / "week01" / "big.bin").write_bytes(b"x" * 200_000)
    limit = 100_000

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(
        [sys.executable, "-m", "mlops_roadmap", *c, "reset", "1", "--yes"],
        cwd=toy_ws,
        env=clean_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=scaled(120),
        preexec_fn=small_disk,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    message = " ".join(result.stderr.split())  # as one line, however the terminal wrapped it
    assert f"{folder}: cannot lay the new scaffold beside it ([Errno 27] File too large" in message
    assert f"nothing was reset: your work is still in {folder}" in message
    assert (folder / "answer.txt").read_text() == "my work\n"
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "answer.txt", "greet.py"]
    assert [p.name for p in toy_ws.iterdir() if p.name.startswith(f".{WEEK}")] == []


def test_a_damaged_record_is_a_located_error_and_left_as_it_is(
    cli: Cli, toy_course: Path, toy_ws: Path
) -> None:
    c = ("--course", toy_course)
    cli(*c, "start", "1", cwd=toy_ws)
    path = toy_ws / ".mlops-roadmap/scaffolds/week01.json"
    path.write_text('{"format": 1, "files": ')
    for args in (("start", "1", "--force"), ("reset", "1", "--yes")):
        result = cli(*c, *args, cwd=toy_ws)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        message = " ".join(result.stderr.split())
        assert f"{path}: the scaffold record is damaged (not JSON:" in message
    assert path.read_text() == '{"format": 1, "files": '
    assert (toy_ws / WEEK / "answer.txt").read_text() == "TODO\n"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"format": 2},
            "{path}: scaffold record format 2 is newer than this mlops-roadmap understands (1): "
            "upgrade mlops-roadmap",
        ),
        (
            {"files": {"greet.py": {"sha256": "abc"}}},
            "{path}: the scaffold record is damaged (files['greet.py'].sha256: expected 64 hex "
            "digits, got 'abc'); it was left as it is: restore it from git if you committed it, "
            "or move it aside (then every file that differs from the course's scaffold counts "
            "as yours)",
        ),
        (
            {"course": {"id": "toy-course"}},
            "{path}: the scaffold record is damaged (course.version: expected a string, got "
            "None); it was left as it is: " + laid.FIX,
        ),
    ],
)
def test_record_errors_name_the_file_and_the_fix(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    path = tmp_path / "week01.json"
    laid.save(path, laid.Record("week01", "toy-course", "1", {"greet.py": "0" * 64}))
    assert laid.load(path) == laid.load(path)  # a sound record loads
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    with pytest.raises(RoadmapError) as caught:
        laid.load(path)
    assert str(caught.value) == message.format(path=path)


def test_solution_changes_shows_the_learners_own_changes(
    cli: Cli, toy_course: Path, toy_ws: Path
) -> None:
    c = ("--course", toy_course)
    cli(*c, "start", "1", cwd=toy_ws)
    early = cli(*c, "solution", "1", "--changes", cwd=toy_ws)
    assert early.returncode == 1 and "opens once you pass it" in early.stderr
    solve_week1(toy_ws)
    (toy_ws / WEEK / "notes.md").write_text("my notes\n")
    (toy_ws / WEEK / "README.md").unlink()
    assert cli(*c, "check", cwd=toy_ws).returncode == 0

    shown = cli(*c, "solution", "week", "1", "--changes", cwd=toy_ws)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "Your changes since the scaffold of week01 was laid" in out
    assert "--- scaffold/answer.txt" in out and "+++ yours/answer.txt" in out
    assert "-TODO" in out and "+42" in out
    assert "README.md (deleted)" in out and "-# Week 1: First steps" in out
    assert "Your own files (the scaffold did not lay them):" in out and "notes.md" in out

    (toy_course / "templates" / "week01" / "answer.txt").write_text("TODO: a number\n")
    changed = cli(*c, "solution", "1", "--changes", cwd=toy_ws).stdout
    assert "answer.txt (the course changed it since)" in changed
    assert "+42" not in changed and "+++ yours/greet.py" in changed
