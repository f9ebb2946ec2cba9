"""The Airflow check helpers of weeks 7, 8 and 12 on their own, fast and without Airflow: where
the Airflow environment is found, the settings its processes get, the probe's reading of a
run's log and of the files a run left, and the engine's reading of the probe's answer."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mlops_checks import airflow_env, dag_probe, dag_runs

LOG = """\
2026-12-02T04:33:16Z [info     ] starting task [task]
Traceback (most recent call last):
  File "/site-packages/airflow/sdk/execution_time/task_runner.py", line 1579, in _run
    result = _execute_task(context=context, ti=ti, log=log)
  File "/tmp/copy/week07/dags/housing_pipeline.py", line 99, in evaluate
    raise ValueError(f"test RMSE {rmse:,.0f} is above max_rmse {limit:,.0f}")
ValueError: test RMSE 24,770 is above max_rmse 1
2026-12-02T04:33:17Z [info     ] Marking run failed [airflow.models.dagrun.DagRun]
"""


def test_failure_keeps_the_dag_folders_frames_and_the_exception() -> None:
    assert dag_probe.failure(LOG.splitlines(), "/tmp/copy/week07/dags") == (
        'File "dags/housing_pipeline.py", line 99, in evaluate\n'
        '    raise ValueError(f"test RMSE {rmse:,.0f} is above max_rmse {limit:,.0f}")\n'
        "ValueError: test RMSE 24,770 is above max_rmse 1"
    )
    assert dag_probe.failure(["all good"], "/tmp/copy/week07/dags") == ""


def test_listing_and_appended(tmp_path: Path) -> None:
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "dags").mkdir()
    (tmp_path / "data" / "raw" / "train.csv").write_text("a\n")
    (tmp_path / "dags" / "d.py").write_text("x")
    log, model = tmp_path / "data" / "runs.log", tmp_path / "model.joblib"
    log.write_text("one\n")
    model.write_bytes(b"12345")
    before = dag_probe.listing(tmp_path, ["data/raw"])
    assert sorted(before) == ["data/runs.log", "model.joblib"]
    log.write_text("one\ntwo\n")  # appended to
    model.write_bytes(b"6789012")  # replaced by a larger file: not an append
    after = dag_probe.listing(tmp_path, ["data/raw"])
    assert dag_probe.appended(before, after, tmp_path) == ["data/runs.log"]


def test_the_environment_is_found_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    week, workspace, named = tmp_path / "ws" / "week07", tmp_path / "ws", tmp_path / "named"
    week.mkdir(parents=True)
    monkeypatch.delenv(airflow_env.ENV_VAR, raising=False)
    monkeypatch.setattr(airflow_env, "COURSE_VENV", tmp_path / "course" / ".tools" / "none")
    assert airflow_env.find(week, workspace) is None
    for venv in (named, workspace / ".venv-airflow", week / ".venv-airflow"):
        (venv / "bin").mkdir(parents=True)
        (venv / "bin" / "python").symlink_to(sys.executable)
    monkeypatch.setenv(airflow_env.ENV_VAR, str(named))
    assert airflow_env.find(week, workspace) == airflow_env.AirflowEnv(
        week / ".venv-airflow", "the week folder"
    )
    (week / ".venv-airflow" / "bin" / "python").unlink()
    assert airflow_env.find(week, workspace).origin == "the workspace"  # type: ignore[union-attr]
    (workspace / ".venv-airflow" / "bin" / "python").unlink()
    assert airflow_env.find(week, workspace) == airflow_env.AirflowEnv(
        named, "$MLOPS_ROADMAP_AIRFLOW_VENV"
    )


def test_settings_drop_the_learners_airflow_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_HOME", "/home/me/airflow")
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    env = airflow_env.settings(tmp_path / "home", tmp_path / "dags")
    assert env["AIRFLOW_HOME"] == str(tmp_path / "home")
    assert "AIRFLOW__CORE__EXECUTOR" not in env
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{tmp_path}/home/airflow.db"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"


def test_read_answer(tmp_path: Path) -> None:
    missing = dag_runs.read_answer(tmp_path / "none.json", "the probe was stopped")
    assert missing.crash == "the probe was stopped" and missing.runs == []
    answer = {
        "versions": {"airflow": "3.3.2"},
        "imports": {"errors": []},
        "parse": {"seconds": 0.4, "errors": {}, "dags": {"d": {"tasks": {}}}, "heavy": []},
        "runs": [
            {
                "label": "first",
                "state": "failed",
                "tasks": {"a": "success", "b": "failed"},
                "failure": "ValueError: no",
                "seconds": 3.5,
            }
        ],
    }
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(answer))
    found = dag_runs.read_answer(path, "")
    first = found.run("first")
    assert first is not None and first.failed_tasks == ["b"]
    assert first.summary() == "run failed: a success, b failed:\nValueError: no"
    assert found.crash == "" and found.run("second") is None


def test_changed_data(tmp_path: Path) -> None:
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    lines = "".join(f"{i},{i}\n" for i in range(10))
    (raw / "train.csv").write_text("a,b\n" + lines)
    (raw / "test.csv").write_text("a,b\n" + lines)
    said = dag_runs.changed_data(tmp_path, 3)
    assert said == "data/raw/train.csv rows shuffled, data/raw/test.csv every fifth row left out"
    train = (raw / "train.csv").read_text().splitlines()
    assert train[0] == "a,b" and sorted(train[1:]) == sorted(lines.splitlines())
    assert len((raw / "test.csv").read_text().splitlines()) == 1 + 8
