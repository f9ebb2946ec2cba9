"""Week 8's checks judged both ways: a right submission written differently from the lesson
(tests/fixtures/week08) passes every check; mutations of the reference solution fail exactly
the checks about them, and nothing Airflow started is left running.

Every case runs the real CLI on one shared workspace (the scaffold laid as `course verify` lays
it) with the course's Airflow environment linked in as the workspace's .venv-airflow. Each case
runs housing_mlflow three times and reads the MLflow store it wrote (2-4 minutes here): slow.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_checks import airflow_env
from tests.conftest import Cli
from tests.shared_week import Shared, prepare
from tests.test_week07_cases import (
    airflow_venv,
    checked,
    started_without_airflow,
    without_airflow_installed,
)
from tests.test_week09_api import check, edit, lay, outcomes

WEEK = 8
DAG = "dags/housing_mlflow.py"
TITLES = {
    "env": "The Airflow environment imports Airflow 3, MLflow, scikit-learn and pandas",
    "imports": "dags/ loads into a DagBag with no import errors",
    "order": "housing_mlflow has train, evaluate and register, in that order, and an alpha param",
    "runs": "Three runs of housing_mlflow succeed (alpha 10,000, then 1,000,000, then 1)",
    "tagged": "Each DAG run logged an MLflow run tagged with its Airflow dag and run ids",
    "model": "Each MLflow run's logged model scores the rmse it logged on the test data",
    "first": "The first run registers ames-price and makes it champion (there was none)",
    "worse": "A worse model (alpha 1,000,000) registers nothing and leaves the champion",
    "better": "A better model (alpha 1) becomes a new version and the champion alias moves to it",
    "xcom": "Tasks pass ids and numbers through XCom, never models or DataFrames",
}
PASSED = dict.fromkeys(TITLES, "passed")
REGISTRY = ("first", "worse", "better")


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Shared:
    ready = prepare(tmp_path_factory, WEEK)
    (ready.workspace / airflow_env.VENV).symlink_to(airflow_venv(), target_is_directory=True)
    return ready


def judged(cli: Cli, week: Path) -> dict[str, dict[str, str]]:
    checks = check(cli, week, timeout=1500)
    assert set(checks) == set(TITLES.values()), checks.keys()
    return checks


@pytest.mark.slow
def test_right_submission_passes(cli: Cli, shared: Shared) -> None:
    checks = judged(cli, lay(shared, solved=False, case="right-variable-branch"))
    assert outcomes(checks, TITLES) == PASSED, checks


@pytest.mark.slow
def test_unreachable_tracking_uri_typed_into_the_dag(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    edit(
        week / DAG,
        'return os.environ.get("MLFLOW_TRACKING_URI") or Variable.get("mlflow_tracking_uri")',
        'return "http://127.0.0.1:9"',
    )
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {
        **PASSED,
        "runs": "failed",
        "tagged": "failed",
        "model": "failed",
        **dict.fromkeys(REGISTRY, "blocked"),
        "xcom": "blocked",
    }
    runs = checks[TITLES["runs"]]["found"]
    assert "train failed" in runs and "dags/housing_mlflow.py" in runs, runs
    assert "127.0.0.1:9" in runs, runs
    assert checks[TITLES["tagged"]]["found"] == "no such run there"
    assert "never type a URI into the DAG" in checks[TITLES["tagged"]]["hint"]


@pytest.mark.slow
def test_untagged_runs_and_a_dataframe_in_xcom(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    dag = week / DAG
    edit(
        dag,
        '            mlflow.set_tags({"airflow_dag_id": context["dag"].dag_id, "airflow_run_id": run_id})\n',
        "",
    )
    edit(
        dag,
        "    candidate = train()\n",
        "    @task\n"
        "    def sample() -> object:\n"
        "        import pandas as pd\n\n"
        '        return pd.read_csv(RAW / "test.csv").head(3)\n\n'
        "    candidate = train()\n"
        "    candidate >> sample()\n",
    )
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {
        **PASSED,
        "tagged": "failed",
        "model": "failed",
        **dict.fromkeys(REGISTRY, "blocked"),
        "xcom": "failed",
    }
    assert checks[TITLES["xcom"]]["found"].startswith(
        "sample returned a pandas.core.frame.DataFrame ("
    ), checks[TITLES["xcom"]]


@pytest.mark.slow
def test_gate_that_always_registers_and_a_pasted_metric(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    dag = week / DAG
    edit(dag, "        return bool(candidate", "        return True or bool(candidate")
    edit(dag, 'mlflow.log_metric("rmse", rmse)', 'mlflow.log_metric("rmse", 24753.74)')
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {**PASSED, "model": "failed", "worse": "failed"}
    assert checks[TITLES["worse"]]["found"] == "version 2 comes from the run with alpha 1,000,000"
    assert "logged rmse 24,753.74; its model scores" in checks[TITLES["model"]]["found"]


@pytest.mark.slow
def test_alpha_param_that_never_reaches_the_model(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    edit(week / DAG, '("model", Ridge(alpha=alpha))', '("model", Ridge(alpha=1.0))')
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {**PASSED, "tagged": "failed", "better": "failed"}
    assert "logged a model with alpha 1" in checks[TITLES["tagged"]]["found"]


@pytest.mark.slow
def test_import_error_blocks_every_run(cli: Cli, shared: Shared) -> None:
    """An operator imported from where Airflow 3 does not have it: the DagBag reports the
    import error with its line, and nothing that needs the DAG runs."""
    week = lay(shared)
    edit(
        week / DAG,
        "from airflow.sdk import DAG, Param, Variable, get_current_context, task\n",
        "from airflow.sdk import BranchPythonOperator, DAG, Param, Variable, get_current_context, "
        "task\n",
    )
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {
        **dict.fromkeys(TITLES, "blocked"),
        "env": "passed",
        "imports": "failed",
    }
    found = checks[TITLES["imports"]]["found"]
    assert found.startswith("housing_mlflow.py:\n"), found
    assert "cannot import name 'BranchPythonOperator' from 'airflow.sdk'" in found, found
    assert checks[TITLES["runs"]]["found"].startswith("housing_mlflow was not run")


@pytest.mark.slow
def test_register_wired_before_evaluate(cli: Cli, shared: Shared) -> None:
    """register right after train and evaluate after it, no gate: the order check names the
    wrong edge, and every model is registered, the worse one too."""
    week = lay(shared)
    edit(
        week / DAG,
        "    gate(evaluate(candidate)) >> register(candidate)",
        "    register(candidate) >> evaluate(candidate)",
    )
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {**PASSED, "order": "failed", "worse": "failed"}
    assert checks[TITLES["order"]]["found"] == "register does not run after evaluate"
    assert checks[TITLES["worse"]]["found"] == "version 2 comes from the run with alpha 1,000,000"


@pytest.mark.slow
def test_first_run_without_a_champion_registers_nothing(cli: Cli, shared: Shared) -> None:
    """evaluate treats a missing champion as a loss: the first model is never registered, so
    nothing ever is (the worse model's check has nothing to object to)."""
    week = lay(shared)
    edit(
        week / DAG,
        "return True  # no champion yet: the first model wins",
        "return False  # no champion yet: nothing to beat",
    )
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {**PASSED, "first": "failed", "better": "failed"}
    assert checks[TITLES["first"]]["found"].startswith("versions none, none from run ")
    assert checks[TITLES["better"]]["found"] == (
        "versions none (none from that run), champion on no version"
    )


def test_blocked_without_an_airflow_environment(cli: Cli, tmp_path: Path) -> None:
    course, week = started_without_airflow(cli, tmp_path, WEEK)
    checks = checked(cli, course, week)
    assert outcomes(checks, TITLES) == dict.fromkeys(TITLES, "blocked")
    assert checks[TITLES["env"]]["found"] == (
        "no Airflow environment: no .venv-airflow in week08-airflow-mlflow/ or the workspace root"
    )
    assert "requirements-airflow.txt" in checks[TITLES["better"]]["hint"]


def test_an_airflow_environment_without_airflow_fails_only_its_check(
    cli: Cli, tmp_path: Path
) -> None:
    course, week = started_without_airflow(cli, tmp_path, WEEK)
    without_airflow_installed(week.parent)
    checks = checked(cli, course, week)
    assert outcomes(checks, TITLES) == {**dict.fromkeys(TITLES, "blocked"), "env": "failed"}
    env = checks[TITLES["env"]]
    assert env["found"] == "cannot import airflow (ModuleNotFoundError: No module named 'airflow')"
    assert "week08-airflow-mlflow/requirements-airflow.txt" in env["hint"]
    assert checks[TITLES["first"]]["found"] == (
        "Airflow could not parse the DAG folder in its environment"
    )
