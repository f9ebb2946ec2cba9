"""`--help` and `status` import none of the heavy libraries (checked with -X importtime)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO, clean_env
from tests.timing import scaled

HEAVY = (
    "sklearn",
    "numpy",
    "pandas",
    "mlflow",
    "evidently",
    "dvc",
    "docker",
    "kubernetes",
    "pytest",
    "jinja2",
    "pydantic",
)


def imported(args: list[str], cwd: Path, home: Path) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mlops_roadmap", *args],
        cwd=cwd,
        env=clean_env(home),
        capture_output=True,
        text=True,
        timeout=scaled(60),
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [
        line.split("|")[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    ]
    return {name.split(".")[0] for name in lines}


@pytest.mark.parametrize("command", [["--help"], ["status"], ["status", "--json"]])
def test_fast_commands_import_nothing_heavy(tmp_path: Path, command: list[str]) -> None:
    home = tmp_path / "home"
    home.mkdir()
    course = ["--course", str(FIXTURES / "toy-course")] if command[0] == "status" else []
    subprocess.run(
        [sys.executable, "-m", "mlops_roadmap", *course, "init", str(tmp_path / "ws")],
        env=clean_env(home),
        check=True,
        capture_output=True,
        timeout=scaled(60),
    )
    modules = imported([*course, *command], tmp_path / "ws", home)
    assert "mlops_roadmap" in modules  # the probe itself works
    assert sorted(modules & set(HEAVY)) == []


def test_real_course_status_imports_nothing_heavy(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    course = ["--course", str(REPO)]
    subprocess.run(
        [sys.executable, "-m", "mlops_roadmap", *course, "init", str(tmp_path / "ws")],
        env=clean_env(home),
        check=True,
        capture_output=True,
        timeout=scaled(60),
    )
    assert sorted(imported([*course, "status"], tmp_path / "ws", home) & set(HEAVY)) == []
