"""`doctor` looks for the Airflow environment where the Airflow weeks' checks look for it
(mlops_checks.airflow_env shares the engine's search): the week folders, the workspace,
$MLOPS_ROADMAP_AIRFLOW_VENV, the course's .tools/airflow-venv; it imports Airflow in that
environment's own interpreter, never in the engine."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import airflow_env
from mlops_roadmap import tools
from tests.conftest import REPO, Cli
from tests.test_week07_cases import airflow_venv

AIRFLOW_WEEKS = ["week07", "week08", "week12"]
WEEK07 = "week07-airflow-orchestration"


def airflow_probe(cli: Cli, course: Path, cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """What `doctor --json` says about Airflow."""
    result = cli("--course", course, "doctor", "--json", cwd=cwd, env=env, timeout=180)
    assert result.returncode == 0, result.stderr
    return next(t for t in json.loads(result.stdout) if t["tool"] == "airflow")


def fake_venv(venv: Path) -> Path:
    """A virtual environment's layout whose python has no Airflow (this interpreter's)."""
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    return venv


@pytest.mark.slow
def test_doctor_finds_airflow_where_the_variable_points(cli: Cli, toy_course: Path) -> None:
    venv = airflow_venv()
    found = airflow_probe(cli, toy_course, toy_course.parent, {tools.AIRFLOW_ENV_VAR: str(venv)})
    assert found["ok"] is True and found["fix"] == "", found
    assert re.fullmatch(
        rf"Airflow 3\.\d+\.\d+\S* in {re.escape(str(venv))} \(\$MLOPS_ROADMAP_AIRFLOW_VENV\)",
        found["detail"],
    ), found
    assert not (toy_course.parent / "home" / "airflow").exists()  # its logs went to a temp home


def test_doctor_without_airflow_names_where_it_looked_and_the_fix(
    cli: Cli, toy_course: Path, tmp_path: Path
) -> None:
    """The variable names an empty folder, the course has no .tools, no workspace is here."""
    empty = tmp_path / "empty"
    empty.mkdir()
    found = airflow_probe(cli, toy_course, tmp_path, {tools.AIRFLOW_ENV_VAR: str(empty)})
    assert found["ok"] is False and found["weeks"] == []
    assert found["detail"] == (
        f"no Airflow environment at {empty} ($MLOPS_ROADMAP_AIRFLOW_VENV), "
        f"{toy_course.resolve()}/.tools/airflow-venv (the course's own, from "
        "scripts/airflow-env.sh)"
    )
    assert found["fix"].startswith("From the workspace root: `python3 -m venv .venv-airflow`")
    assert "scripts/airflow-env.sh makes the course's own" in found["fix"]


def test_doctor_looks_in_the_week_folder_first_and_imports_airflow_there(
    cli: Cli, tmp_path: Path
) -> None:
    """In a workspace of the course: the Airflow weeks are named, the week folder's
    .venv-airflow wins over the workspace's, and a python without Airflow is reported."""
    ws = tmp_path / "ws"
    assert cli("--course", REPO, "init", ws).returncode == 0
    fake_venv(ws / ".venv-airflow")
    week = fake_venv(ws / WEEK07 / ".venv-airflow")
    found = airflow_probe(cli, REPO, ws, {})
    assert found["ok"] is False and found["weeks"] == AIRFLOW_WEEKS
    assert found["detail"].startswith(f"{week} (the week folder) cannot import airflow: ")
    assert "No module named 'airflow'" in found["detail"]
    assert f"-r {WEEK07}/requirements-airflow.txt" in found["fix"]


def test_the_checks_search_the_engines_places_in_its_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One search: what airflow_env.find returns is the engine's first place that holds one."""
    week, ws, named = tmp_path / "ws" / WEEK07, tmp_path / "ws", tmp_path / "named"
    course_venv = tmp_path / "course" / ".tools" / "airflow-venv"
    monkeypatch.setattr(airflow_env, "COURSE_VENV", course_venv)
    monkeypatch.setenv(tools.AIRFLOW_ENV_VAR, str(named))
    places = tools.airflow_venvs([week], ws, course_venv)
    assert [p for p, _ in places] == [
        week / ".venv-airflow",
        ws / ".venv-airflow",
        named,
        course_venv,
    ]
    for venv, origin in reversed(places):
        fake_venv(venv)
        assert airflow_env.find(week, ws) == airflow_env.AirflowEnv(venv, origin)
