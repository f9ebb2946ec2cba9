"""The real CLI on the toy course: exit codes, messages, gating, --json, hints, solutions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import Cli

SOLUTION = Path(__file__).parent / "fixtures" / "toy-course" / "solutions" / "week01"


def solve_week1(ws: Path) -> None:
    shutil.copytree(SOLUTION, ws / "week01-first-steps", dirs_exist_ok=True)


def test_journey_fail_then_pass_unlocks_next_week(cli: Cli, toy_course: Path, toy_ws: Path) -> None:
    c = ("--course", toy_course)
    assert cli(*c, "start", "week", "1", cwd=toy_ws).returncode == 0
    week_dir = toy_ws / "week01-first-steps"
    assert (week_dir / "greet.py").read_text() == '# First steps in ws\nprint("TODO")\n'
    assert (week_dir / "README.md").read_text().startswith("# Week 1: First steps")

    failing = cli(*c, "check", cwd=week_dir)
    assert failing.returncode == 1
    assert "✘  answer.txt holds the answer" in failing.stdout
    assert "expected: '42' in answer.txt" in failing.stdout
    assert "found: 'TODO'" in failing.stdout
    assert "hint: Write the number 42 into answer.txt." in failing.stdout
    assert "Traceback" not in failing.stdout + failing.stderr

    solve_week1(toy_ws)
    passing = cli(*c, "check", cwd=week_dir)
    assert passing.returncode == 0, passing.stdout
    assert "Unlocked week02: Second steps" in passing.stdout

    status = json.loads(cli(*c, "status", "--json", cwd=toy_ws).stdout)
    assert [w["state"] for w in status["weeks"]] == ["passed", "available"]
    assert status["weeks"][0]["checks_passed"] == 2
    assert status["next"] == "run `mlops-roadmap start 2` (Second steps)"


def test_check_json_shape(cli: Cli, toy_course: Path, toy_ws: Path) -> None:
    cli("--course", toy_course, "start", "1", cwd=toy_ws)
    result = cli("--course", toy_course, "check", "week", "1", "--json", cwd=toy_ws)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert set(data) == {
        "format",
        "week",
        "title",
        "passed",
        "passed_offline",
        "needs",
        "commit",
        "counts",
        "points",
        "max_points",
        "duration",
        "learner_seconds",
        "checks",
        "reviews",
    }
    assert data["reviews"] == []  # the toy course has nothing for a mentor's review
    assert data["counts"] == {"passed": 0, "failed": 2, "blocked": 0, "error": 0}
    assert (data["points"], data["max_points"]) == (0.0, 3.0)
    failed = data["checks"][0]
    assert failed["id"] == "test_first.py::test_answer"
    assert failed["title"] == "answer.txt holds the answer"
    assert failed["message"] == "expected '42' in answer.txt; found 'TODO'"
    assert data["learner_seconds"] > 0  # greet.py ran in a subprocess
    assert set(data["checks"][0]) == {
        "id",
        "title",
        "outcome",
        "expected",
        "found",
        "hint",
        "message",
        "points",
        "duration",
        "notes",
        "external",
    }
    assert (data["passed_offline"], data["needs"]) == (False, [])


def test_locked_week_is_refused_and_force_is_recorded(
    cli: Cli, toy_course: Path, toy_ws: Path
) -> None:
    refused = cli("--course", toy_course, "start", "2", cwd=toy_ws)
    assert refused.returncode == 1
    assert "error: week02 is locked: pass week01 (First steps) first" in refused.stderr
    assert not (toy_ws / "week02-second-steps").exists()
    forced = cli("--course", toy_course, "start", "2", "--force", cwd=toy_ws)
    assert forced.returncode == 0
    status = json.loads(cli("--course", toy_course, "status", "--json", cwd=toy_ws).stdout)
    assert status["weeks"][1]["state"] == "in progress"
    assert status["weeks"][1]["forced"] is True


def test_missing_tool_blocks_instead_of_failing(cli: Cli, toy_course: Path, toy_ws: Path) -> None:
    cli("--course", toy_course, "start", "2", "--force", cwd=toy_ws)
    result = cli("--course", toy_course, "check", "--json", cwd=toy_ws / "week02-second-steps")
    data = json.loads(result.stdout)
    cloud = next(c for c in data["checks"] if c["title"] == "The cloud is configured")
    assert cloud["outcome"] == "blocked"
    assert "no AWS credentials found" in cloud["found"]
    assert "aws configure" in cloud["hint"]
    assert result.returncode == 1  # a blocked check does not pass the week


def test_existing_files_are_kept_even_when_forced(cli: Cli, toy_course: Path, toy_ws: Path) -> None:
    c = ("--course", toy_course)
    cli(*c, "start", "1", cwd=toy_ws)
    answer = toy_ws / "week01-first-steps" / "answer.txt"
    answer.write_text("my work\n")
    again = cli(*c, "start", "1", cwd=toy_ws)
    assert again.returncode == 0
    assert "kept yours answer.txt" in again.stdout
    assert answer.read_text() == "my work\n"
    forced = cli(*c, "start", "1", "--force", cwd=toy_ws)
    assert "kept yours answer.txt" in forced.stdout
    assert answer.read_text() == "my work\n"


def test_reset_keeps_old_folder_as_backup(cli: Cli, toy_course: Path, toy_ws: Path) -> None:
    c = ("--course", toy_course)
    cli(*c, "start", "1", cwd=toy_ws)
    (toy_ws / "week01-first-steps" / "mine.py").write_text("x = 1\n")
    result = cli(*c, "reset", "week", "1", "--yes", cwd=toy_ws)
    assert result.returncode == 0, result.stderr
    assert not (toy_ws / "week01-first-steps" / "mine.py").exists()
    kept = list((toy_ws / ".mlops-roadmap" / "backups").rglob("mine.py"))
    assert len(kept) == 1 and kept[0].read_text() == "x = 1\n"


def test_hints_reveal_one_more_each_time(cli: Cli, toy_course: Path, toy_ws: Path) -> None:
    c = ("--course", toy_course)
    first = cli(*c, "hint", "week", "1", cwd=toy_ws).stdout
    assert "Hint 1/3: Read answer.txt." in first and "Hint 2/3" not in first
    for _ in range(3):
        last = cli(*c, "hint", "1", cwd=toy_ws).stdout
    assert "Hint 3/3: The answer is 42." in last and "more:" not in last


def test_solution_only_after_pass(cli: Cli, toy_course: Path, toy_ws: Path) -> None:
    c = ("--course", toy_course)
    cli(*c, "start", "1", cwd=toy_ws)
    early = cli(*c, "solution", "week", "1", cwd=toy_ws)
    assert early.returncode == 1
    assert "the solution of week01 opens once you pass it" in early.stderr
    solve_week1(toy_ws)
    (toy_ws / "week01-first-steps" / "greet.py").write_text("print('hello, ' + 'world')\n")
    assert cli(*c, "check", cwd=toy_ws).returncode == 0
    shown = cli(*c, "solution", "week", "1", cwd=toy_ws)
    assert shown.returncode == 0
    assert "-print('hello, ' + 'world')" in shown.stdout
    assert '+print("hello, world")' in shown.stdout


def test_user_errors_exit_1_without_traceback(cli: Cli, toy_course: Path, tmp_path: Path) -> None:
    outside = cli("--course", toy_course, "status", cwd=tmp_path)
    assert outside.returncode == 1
    assert "not inside an mlops-roadmap workspace" in outside.stderr
    bad_course = cli("--course", tmp_path, "status", cwd=tmp_path)
    assert bad_course.returncode == 1
    assert "not a course folder (no roadmap.yaml)" in bad_course.stderr
    for result in (outside, bad_course):
        assert "Traceback" not in result.stderr


def test_usage_errors_exit_2(cli: Cli, toy_course: Path, toy_ws: Path) -> None:
    assert cli("--course", toy_course, "start", "week", "five", cwd=toy_ws).returncode == 2
    assert cli("--course", toy_course, "frobnicate", cwd=toy_ws).returncode == 2
    missing = cli("--course", toy_course, "show", "week", "9", cwd=toy_ws)
    assert missing.returncode == 1
    assert "there is no week 9: this course has weeks 1 to 2" in missing.stderr


def test_course_from_environment_variable(cli: Cli, toy_course: Path, toy_ws: Path) -> None:
    result = cli("show", "week", "2", cwd=toy_ws, env={"MLOPS_ROADMAP_COURSE": str(toy_course)})
    assert result.returncode == 0
    assert "Configure your cloud credentials." in result.stdout


def test_bad_roadmap_via_cli_is_one_clear_line(cli: Cli, toy_course: Path, toy_ws: Path) -> None:
    path = toy_course / "roadmap.yaml"
    path.write_text(path.read_text().replace("https://docs.aws.amazon.com/", "aws docs"))
    result = cli("--course", toy_course, "status", cwd=toy_ws)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: roadmap.yaml: weeks[1] (week02) -> resources[0].url: expected a URL, got 'aws docs'"
    )


def test_doctor_json_lists_every_tool(cli: Cli, toy_course: Path, tmp_path: Path) -> None:
    result = cli("--course", toy_course, "doctor", "--json", cwd=tmp_path)
    assert result.returncode == 0
    tools = {t["tool"]: t for t in json.loads(result.stdout)}
    assert set(tools) == {
        "python",
        "git",
        "docker",
        "kubernetes",
        "terraform",
        "node",
        "make",
        "cloud",
        "promtool",
        "hadolint",
        "airflow",
    }
    assert tools["python"]["ok"] is True
    assert tools["cloud"]["ok"] is False and tools["cloud"]["weeks"] == ["week02"]
    assert "aws configure" in tools["cloud"]["fix"]


def test_shell_completion_offers_commands(cli: Cli, tmp_path: Path) -> None:
    result = cli(
        env={
            "_MLOPS_ROADMAP_COMPLETE": "complete_bash",
            "COMP_WORDS": "mlops-roadmap st",
            "COMP_CWORD": "1",
        }
    )
    assert result.returncode == 0
    assert result.stdout.split() == ["start", "status"]
