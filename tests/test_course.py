"""The real course: 24 weeks, lessons, and weeks 1-2 proven by `course verify`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mlops_roadmap import course
from tests.conftest import REPO, Cli
from tests.timing import scaled


def test_roadmap_has_the_24_weeks_in_six_months() -> None:
    plan = course.load(REPO).plan
    assert plan.warnings == ()
    assert [w.number for w in plan.weeks] == list(range(1, 25))
    assert [w.month for w in plan.weeks] == [m for m in range(1, 7) for _ in range(4)]
    assert plan.week(2).folder == "week02-intro-to-ml"
    assert all(w.resources and w.tasks and w.hints for w in plan.weeks)
    assert "docker" in plan.week(4).tools and "kubernetes" in plan.week(17).tools


def test_week2_lesson_explains_the_data_choice() -> None:
    lesson = (REPO / "weeks" / "week02.md").read_text()
    assert "Boston" in lesson and "Ames" in lesson and "De Cock" in lesson


def test_unchecked_week_says_so_plainly(cli: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    loaded = course.load(REPO)
    week = next(w for w in loaded.plan.weeks if not loaded.has_checks(w))
    ws = tmp_path / "ws"
    cli("--course", REPO, "init", ws)
    assert cli("--course", REPO, "start", str(week.number), "--force", cwd=ws).returncode == 0
    result = cli("--course", REPO, "check", cwd=ws)
    assert result.returncode == 3  # nothing failed: there is nothing to check (CI tells them apart)
    assert f"{week.id} has no automated checks yet in this course release" in result.stderr


def test_course_verify_weeks_1_and_2(cli: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "--course",
        REPO,
        "course",
        "verify",
        "--week",
        "1",
        "--week",
        "2",
        cwd=tmp_path,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✔ week01: solution" in result.stdout
    assert "✔ week02: solution" in result.stdout
    assert "course verified" in result.stdout


@pytest.mark.slow
def test_course_verify_whole_course(cli: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = cli("--course", REPO, "course", "verify", cwd=tmp_path, timeout=3000)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "course verified" in result.stdout


@pytest.mark.slow
def test_benchmark_reports_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "startup.py"), "--runs", "3", "--json"],
        capture_output=True,
        text=True,
        timeout=scaled(900),
        check=True,
    )
    figures = json.loads(done.stdout)
    assert set(figures) == {
        "baseline_s",
        "help_s",
        "status_s",
        "help_ratio",
        "status_ratio",
        "check_wall_s",
        "check_overhead_s",
    }
    assert all(value > 0 for value in figures.values())


def test_every_scaffold_renders() -> None:
    loaded = course.load(REPO)
    from mlops_roadmap import scaffold

    for week in loaded.plan.weeks:
        files = dict(scaffold.planned_files(loaded, week, "my-workspace"))
        assert files["README.md"].startswith(f"# Week {week.number}:".encode()), week.id
        assert len(files) >= 2, f"{week.id} has no starter files"
