"""Week 7's checks judged both ways: right submissions written differently from the lesson
(tests/fixtures/week07) pass every check; mutations of the reference solution fail exactly the
checks about them, and nothing Airflow started is left running.

Every case runs the real CLI on one shared workspace (the scaffold laid as `course verify` lays
it, the week folder put back before each case) with the course's Airflow environment
(scripts/airflow-env.sh) linked in as the workspace's .venv-airflow. Each case is one probe:
a DagBag parse and, when it parses, three `dag.test()` runs (40 s to 3 minutes here): slow.
The fast tests at the end need no Airflow.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_checks import airflow_env
from tests.conftest import REPO, Cli
from tests.shared_week import Shared, prepare
from tests.test_week09_api import check, edit, lay, outcomes

WEEK = 7
DAG = "dags/housing_pipeline.py"
TITLES = {
    "env": "The Airflow environment imports Airflow 3, pandas, scikit-learn and joblib",
    "imports": "dags/ loads into a DagBag with no import errors",
    "light": "Parsing dags/ loads no pandas, scikit-learn or MLflow: they load inside the tasks",
    "order": "housing_pipeline has the tasks preprocess, train and evaluate, in that order",
    "settings": "Every task retries, one has a timeout, catchup is off and the schedule is daily",
    "run": "A full run of housing_pipeline succeeds: every task ends in success",
    "model": "The model train saved reloads and predicts houses it has never seen",
    "metrics": "data/metrics.json holds the RMSE of the model on the run's test data",
    "gate": "A run with max_rmse=1 fails at evaluate, after train succeeds (the gate)",
    "rerun": "A second run on the same date overwrites the first run's outputs",
}
PASSED = dict.fromkeys(TITLES, "passed")
AFTER_RUN = ("model", "metrics", "gate", "rerun")


def airflow_venv() -> Path:
    """The course's Airflow environment, made (or found up to date) by scripts/airflow-env.sh."""
    named = os.environ.get(airflow_env.ENV_VAR)
    venv = Path(named) if named else REPO / ".tools" / "airflow-venv"
    subprocess.run([REPO / "scripts" / "airflow-env.sh", venv], check=True, timeout=900)
    return venv


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Shared:
    """One workspace for the module's cases, with the course's Airflow environment as its
    .venv-airflow (where the lesson has learners make theirs)."""
    ready = prepare(tmp_path_factory, WEEK)
    (ready.workspace / airflow_env.VENV).symlink_to(airflow_venv(), target_is_directory=True)
    return ready


def judged(cli: Cli, week: Path) -> dict[str, dict[str, str]]:
    checks = check(cli, week, timeout=900)
    assert set(checks) == set(TITLES.values()), checks.keys()
    return checks


# -- right submissions written differently ---------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("case", ["right-cron-context", "right-dag-decorator"])
def test_right_submission_passes(cli: Cli, shared: Shared, case: str) -> None:
    checks = judged(cli, lay(shared, solved=False, case=case))
    assert outcomes(checks, TITLES) == PASSED, checks


# -- wrong submissions: mutations of the reference solution ----------------------------------


@pytest.mark.slow
def test_syntax_error_shows_the_end_of_its_traceback(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    edit(week / DAG, "    @task\n    def preprocess", "    @task\n    def preprocess(:\n    def x")
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {
        **dict.fromkeys(TITLES, "blocked"),
        "env": "passed",
        "imports": "failed",
    }
    found = checks[TITLES["imports"]]["found"]
    assert found.startswith("housing_pipeline.py:\n") and "SyntaxError" in found, found
    assert "def preprocess(:" in found


@pytest.mark.slow
def test_cycle_is_an_import_error(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    edit(
        week / DAG,
        "    evaluate(train(prepared_dir), prepared_dir)",
        "    evaluate(train(prepared_dir), prepared_dir) >> prepared_dir",
    )
    checks = judged(cli, week)
    assert outcomes(checks, TITLES)["imports"] == "failed"
    assert "Cycle detected in Dag: housing_pipeline" in checks[TITLES["imports"]]["found"]


@pytest.mark.slow
def test_heavy_parse_wrong_order_and_settings(cli: Cli, shared: Shared) -> None:
    """Pandas imported at the top, train reading raw data beside preprocess, no retries, catchup
    on, an hourly schedule, no timeout: the three shape checks fail, the runs still pass."""
    week = lay(shared)
    dag = week / DAG
    edit(
        dag,
        "from airflow.sdk import DAG, Param, task\n",
        "import pandas\nfrom airflow.sdk import DAG, Param, task\n",
    )
    edit(dag, 'schedule="@daily"', 'schedule="@hourly"')
    edit(dag, "catchup=False", "catchup=True")
    edit(dag, '{"retries": 2,', '{"retries": 0,')
    edit(dag, "@task(execution_timeout=timedelta(minutes=10))", "@task")
    edit(dag, "    def train(prepared: str, params", "    def train(params")
    edit(dag, 'pd.read_csv(Path(prepared) / "train.csv")', 'pd.read_csv(RAW / "train.csv")')
    edit(dag, "evaluate(train(prepared_dir), prepared_dir)", "evaluate(train(), prepared_dir)")
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {
        **PASSED,
        "light": "failed",
        "order": "failed",
        "settings": "failed",
    }
    assert checks[TITLES["light"]]["found"] == "parsing it imported pandas"
    assert checks[TITLES["order"]]["found"] == "train does not run after preprocess"
    settings = checks[TITLES["settings"]]["found"]
    for problem in ("preprocess has retries=0", "no task has an execution_timeout",
                    "catchup is on", "the schedule is '@hourly'"):  # fmt: skip
        assert problem in settings, settings


@pytest.mark.slow
def test_pasted_metrics_constant_gate_and_appending(cli: Cli, shared: Shared) -> None:
    """A metrics file with a number typed in, a gate that ignores the param, and a log each
    run appends to: the metrics, gate and rerun checks fail, the rest pass."""
    week = lay(shared)
    dag = week / DAG
    edit(dag, 'json.dumps({"rmse": rmse, "rows"', 'json.dumps({"rmse": 24769.71, "rows"')
    edit(dag, 'limit = float((params or {}).get("max_rmse", 40_000))', "limit = 40_000.0")
    edit(
        dag,
        "        return str(PREPARED)",
        '        with (WEEK / "data" / "runs.log").open("a") as log:\n'
        '            log.write("preprocessed\\n")\n'
        "        return str(PREPARED)",
    )
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {
        **PASSED,
        "metrics": "failed",
        "gate": "failed",
        "rerun": "failed",
    }
    assert checks[TITLES["metrics"]]["found"] == "rmse 24,769.71 in data/metrics.json"
    assert "the check changed the copy's data" in checks[TITLES["metrics"]]["expected"]
    assert checks[TITLES["gate"]]["found"].startswith("run success: evaluate success")
    assert checks[TITLES["rerun"]]["found"] == "data/runs.log was appended to"


@pytest.mark.slow
def test_underfit_model_behind_an_open_gate(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    dag = week / DAG
    edit(dag, '"alpha": Param(1.0,', '"alpha": Param(100_000.0,')
    edit(dag, '"max_rmse": Param(40_000,', '"max_rmse": Param(1e9,')
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {**PASSED, "model": "failed"}
    found = checks[TITLES["model"]]["found"]
    assert found.startswith("an RMSE of $") and int(found[12:].replace(",", "")) > 32_000


@pytest.mark.slow
def test_relative_paths_fail_the_run_and_nothing_is_left_running(cli: Cli, shared: Shared) -> None:
    """Tasks do not run in the week folder: a relative path fails the first task; the runs'
    checks are blocked behind it (check() asserts no process is left)."""
    week = lay(shared)
    edit(week / DAG, "WEEK = Path(__file__).resolve().parents[1]", 'WEEK = Path(".")')
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {
        **PASSED,
        "run": "failed",
        **dict.fromkeys(AFTER_RUN, "blocked"),
    }
    found = checks[TITLES["run"]]["found"]
    assert found.startswith("run failed: evaluate upstream_failed, preprocess failed"), found
    assert "dags/housing_pipeline.py" in found and "FileNotFoundError" in found


# -- without an Airflow environment (fast) ---------------------------------------------------


def course_without_airflow(tmp_path: Path) -> Path:
    """A copy of the course's tracked files without its own Airflow environment (.tools), as
    an installed course is."""
    copy = tmp_path / "course"
    names = ("roadmap.yaml", "weeks", "templates", "checks", "solutions", "data")
    listed = subprocess.run(
        ["git", "ls-files", "-z", *names], cwd=REPO, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        if (REPO / rel).is_file():
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, copy / rel)
    return copy


def started_without_airflow(cli: Cli, tmp_path: Path, week: int) -> tuple[Path, Path]:
    """The course without an Airflow environment, and the week started from it."""
    course = course_without_airflow(tmp_path)
    ws = tmp_path / "ws"
    assert cli("--course", course, "init", ws).returncode == 0
    assert cli("--course", course, "start", str(week), "--force", cwd=ws).returncode == 0
    return course, next(ws.glob(f"week{week:02d}-*"))


def without_airflow_installed(workspace: Path) -> Path:
    """The workspace's .venv-airflow made but nothing installed into it (step 1 half done)."""
    venv = workspace / airflow_env.VENV
    command = [sys.executable, "-m", "venv", "--without-pip", venv]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return venv


def checked(cli: Cli, course: Path, week: Path) -> dict[str, dict[str, str]]:
    """`check --json` against ``course`` (the CLI drops MLOPS_ROADMAP_* variables)."""
    result = cli("--course", course, "check", "--json", cwd=week, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    return {c["title"]: c for c in json.loads(result.stdout)["checks"]}


def test_blocked_without_an_airflow_environment(cli: Cli, tmp_path: Path) -> None:
    """No .venv-airflow, no MLOPS_ROADMAP_AIRFLOW_VENV, no course environment: every check is
    blocked with the commands that make one, never passed."""
    course, week = started_without_airflow(cli, tmp_path, WEEK)
    checks = checked(cli, course, week)
    assert outcomes(checks, TITLES) == dict.fromkeys(TITLES, "blocked")
    message = checks[TITLES["run"]]
    assert message["found"] == (
        "no Airflow environment: no .venv-airflow in week07-airflow-orchestration/ or the "
        "workspace root"
    )
    assert "`python3 -m venv .venv-airflow`" in message["hint"]
    assert "week07-airflow-orchestration/requirements-airflow.txt" in message["hint"]


def test_an_airflow_environment_without_airflow_fails_only_its_check(
    cli: Cli, tmp_path: Path
) -> None:
    """A .venv-airflow with nothing installed: the environment check fails naming the missing
    import and how to install it; every check that needs Airflow is blocked behind it."""
    course, week = started_without_airflow(cli, tmp_path, WEEK)
    without_airflow_installed(week.parent)
    checks = checked(cli, course, week)
    assert outcomes(checks, TITLES) == {**dict.fromkeys(TITLES, "blocked"), "env": "failed"}
    env = checks[TITLES["env"]]
    assert env["found"] == "cannot import airflow (ModuleNotFoundError: No module named 'airflow')"
    assert "week07-airflow-orchestration/requirements-airflow.txt" in env["hint"]
    run = checks[TITLES["run"]]
    assert run["found"] == "Airflow could not parse the DAG folder in its environment"
    assert run["hint"].startswith("Make the check 'The Airflow environment imports Airflow 3")
