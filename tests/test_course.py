"""The real course: 24 weeks, lessons, and weeks 1-2 proven by `course verify`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_roadmap import course
from mlops_roadmap.commands import verify
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


def test_unchecked_week_says_so_plainly(  # type: ignore[no-untyped-def]
    cli: Cli, tmp_path, unchecked_course: tuple[Path, str]
) -> None:
    root, week_id = unchecked_course
    loaded = course.load(root)
    week = next(w for w in loaded.plan.weeks if not loaded.has_checks(w))
    assert week.id == week_id
    ws = tmp_path / "ws"
    cli("--course", root, "init", ws)
    assert cli("--course", root, "start", str(week.number), "--force", cwd=ws).returncode == 0
    result = cli("--course", root, "check", cwd=ws)
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


# Weeks whose fresh scaffold is already proven to fail (and for some the solution to pass, as
# `course verify` proves it) by a test that asserts more: not run twice. Every week's solution
# passes in tests/test_walk.py.
PROVEN_ELSEWHERE = {
    1: "tests/test_course.py::test_course_verify_weeks_1_and_2 (in the default suite)",
    2: "tests/test_course.py::test_course_verify_weeks_1_and_2 (in the default suite)",
    3: "tests/test_week03_dvc.py (finished project and scaffold)",
    4: "tests/test_week04_docker.py::test_course_verify_week4 (counts what it leaves on the engine)",
    5: "tests/test_week05_mlflow.py::test_scaffold_logs_nothing_yet",
    9: "tests/test_week09_api.py (finished project and scaffold)",
    10: "tests/test_week10_metrics.py (finished project and scaffold, in the default suite)",
    11: "tests/test_week11_logging.py (finished project and scaffold, in the default suite)",
    13: "tests/test_week13_cases.py (finished project and scaffold)",
    14: "tests/test_week14_cases.py (solution and scaffold, in the default suite)",
    15: "tests/test_week15_cases.py (solution and scaffold)",
    16: "tests/test_week16_security.py::test_scaffold_fails_what_it_asks_for",
    18: "tests/test_week18_cases.py (finished project and scaffold)",
    20: "tests/test_week20_cases.py (finished project and scaffold)",
    22: "tests/test_week22_cases.py (solution and scaffold)",
    23: "tests/test_week23_cases.py::test_the_scaffold_fails_its_documents",
    24: "tests/test_week24_cases.py::test_the_finished_portfolio_passes_and_is_left_untouched "
    "(and test_the_scaffold_fails_with_guidance)",
}


def test_weeks_proven_elsewhere_name_real_tests() -> None:
    loaded = course.load(REPO)
    for number, where in PROVEN_ELSEWHERE.items():
        assert loaded.has_checks(loaded.plan.week(number)), number
        path, _, test = where.split(" ")[0].partition("::")
        text = (REPO / path).read_text(encoding="utf-8")
        assert f"def {test}(" in text if test else "make_week" in text or "solved" in text


def _checked_weeks() -> list[int]:
    loaded = course.load(REPO)
    return [
        w.number
        for w in loaded.plan.weeks
        if loaded.has_checks(w) and w.number not in PROVEN_ELSEWHERE
    ]


@pytest.mark.slow
@pytest.mark.parametrize("week", _checked_weeks(), ids=lambda n: f"week{n:02d}")
def test_each_fresh_scaffold_fails(cli: Cli, tmp_path: Path, week: int) -> None:
    """The other half of `course verify` for the weeks not proven elsewhere, a week a test so
    that they run side by side: the fresh scaffold, prepared as `course verify` prepares it,
    fails one of its checks. Their reference solutions pass in tests/test_walk.py (the whole
    roadmap walked in one workspace); the lineage of every week is proven by test_lineage's
    fast test, the mirror of every folder by test_course_verify_weeks_1_and_2."""
    loaded = course.load(REPO)
    ws = verify.prepare(loaded, loaded.plan.week(week), tmp_path / "ws", with_solution=False)
    folder = ws.week_dir(loaded.plan.week(week))
    result = cli("--course", REPO, "check", "--json", cwd=folder, timeout=1500)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["counts"]["failed"] >= 1, report


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
