"""Week 12's checks judged both ways: a right submission written differently from the lesson
(tests/fixtures/week12) passes every check; mutations of the reference solution fail exactly
the checks about them.

Every case runs the real CLI on one shared workspace (the scaffold laid as `course verify` lays
it, then `make_batches.py` run as the lesson's step 1 runs it) with the course's Airflow
environment linked in as the workspace's .venv-airflow. Each case runs housing_retrain six
times (one to two minutes here): slow.
"""

from __future__ import annotations

import subprocess
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

WEEK = 12
DAG = "dags/housing_retrain.py"
TITLES = {
    "env": "The Airflow environment imports Airflow 3, pandas, scikit-learn and PyYAML",
    "imports": "dags/ loads into a DagBag with no import errors",
    "shape": "housing_retrain branches from check_triggers to retrain (then promote) or skip",
    "policy": "retrain_policy.yaml holds the triggers (batch size, drift, performance) and "
    "promotion",
    "first": "With no champion yet, a run trains one: models/champion.joblib",
    "stable": "On a stable batch the DAG skips retraining and the champion stays",
    "worse": "A worse candidate (alpha 1,000,000) is trained on the shifted batch but not promoted",
    "shifted": "On the shifted batch the DAG retrains and promotes the candidate that wins",
    "raised": "Thresholds raised in retrain_policy.yaml turn the shifted batch into a skip",
    "decisions": "Every run appends its decision, with the batch it judged, to "
    "data/decisions.jsonl",
}
PASSED = dict.fromkeys(TITLES, "passed")


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Shared:
    ready = prepare(tmp_path_factory, WEEK)
    (ready.workspace / airflow_env.VENV).symlink_to(airflow_venv(), target_is_directory=True)
    return ready


def laid(shared: Shared, solved: bool = True, case: str | None = None) -> Path:
    """The week laid afresh, with the data the lesson's step 1 makes."""
    week = lay(shared, solved, case)
    python = shared.workspace / ".venv" / "bin" / "python"
    subprocess.run([python, "make_batches.py"], cwd=week, check=True, timeout=120)
    return week


def judged(cli: Cli, week: Path) -> dict[str, dict[str, str]]:
    checks = check(cli, week, timeout=1200)
    assert set(checks) == set(TITLES.values()), checks.keys()
    return checks


@pytest.mark.slow
def test_right_submission_passes(cli: Cli, shared: Shared) -> None:
    checks = judged(cli, laid(shared, solved=False, case="right-stats-at-the-end"))
    assert outcomes(checks, TITLES) == PASSED, checks


@pytest.mark.slow
def test_thresholds_typed_in_and_nothing_recorded(cli: Cli, shared: Shared) -> None:
    week = laid(shared)
    dag = week / DAG
    edit(dag, 'if v > triggers["drift"]["psi_threshold"]]', "if v > 0.2]")
    edit(dag, 'if share > triggers["drift"]["max_drifted_share"]:', "if share > 0.3:")
    edit(dag, 'elif rmse_now > triggers["performance"]["max_rmse"]:', "elif rmse_now > 30_000:")
    edit(
        dag,
        '    with DECISIONS.open("a") as handle:\n',
        "    with open(os.devnull, 'a') as handle:\n",
    )
    edit(dag, "import json\n", "import json\nimport os\n")
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {**PASSED, "raised": "failed", "decisions": "failed"}
    assert checks[TITLES["raised"]]["found"].startswith(
        "with psi_threshold 1e9 and max_rmse 1e12: run success: check_triggers success"
    )
    assert checks[TITLES["decisions"]]["found"].startswith("the first run recorded nothing")


@pytest.mark.slow
def test_a_gate_that_always_promotes(cli: Cli, shared: Shared) -> None:
    week = laid(shared)
    edit(week / DAG, "wins = old is None or new <", "wins = True or new <")
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {**PASSED, "worse": "failed"}
    assert checks[TITLES["worse"]]["found"].startswith("models/champion.joblib was replaced")


@pytest.mark.slow
def test_a_drift_trigger_that_never_fires(cli: Cli, shared: Shared) -> None:
    """A drifted share compared with 0.9 and no performance trigger: the shifted batch is
    skipped, so the worse and shifted checks fail (the stable and raised ones still pass)."""
    week = laid(shared)
    dag = week / DAG
    edit(dag, 'if share > triggers["drift"]["max_drifted_share"]:', "if share > 0.9:")
    edit(dag, 'elif rmse_now > triggers["performance"]["max_rmse"]:', "elif False:")
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {**PASSED, "worse": "failed", "shifted": "failed"}
    assert checks[TITLES["worse"]]["expected"] == (
        "the shifted batch to fire a trigger, so retrain runs"
    )


@pytest.mark.slow
def test_policy_read_at_parse_time_is_an_import_error(cli: Cli, shared: Shared) -> None:
    """The policy read when the file is parsed, relative to the current folder: the DagBag
    reports the missing file (Airflow parses elsewhere), the runs are blocked, the policy file
    itself is still judged."""
    week = laid(shared)
    edit(
        week / DAG,
        'CHAMPION = WEEK / "models" / "champion.joblib"\n',
        'CHAMPION = WEEK / "models" / "champion.joblib"\n'
        'POLICY = __import__("yaml").safe_load(open("retrain_policy.yaml"))\n',
    )
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {
        **dict.fromkeys(TITLES, "blocked"),
        "env": "passed",
        "imports": "failed",
        "policy": "passed",
    }
    found = checks[TITLES["imports"]]["found"]
    assert found.startswith("housing_retrain.py:\n"), found
    assert "No such file or directory: 'retrain_policy.yaml'" in found, found


@pytest.mark.slow
def test_a_drift_statistic_of_the_wrong_shape(cli: Cli, shared: Shared) -> None:
    """PSI left as its per-bin terms (no sum): an array compared with psi_threshold fails
    check_triggers on every batch once there is a champion, and nothing is recorded then."""
    week = laid(shared)
    edit(
        week / DAG,
        "return float(np.sum((cur - ref) * np.log(cur / ref)))",
        "return (cur - ref) * np.log(cur / ref)",
    )
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {
        **PASSED,
        **dict.fromkeys(("stable", "worse", "shifted", "raised", "decisions"), "failed"),
    }
    stable = checks[TITLES["stable"]]["found"]
    assert stable.startswith("run failed: check_triggers failed"), stable
    assert "dags/housing_retrain.py" in stable, stable
    assert "ValueError: The truth value of an array" in stable, stable
    assert "the stable run recorded nothing" in checks[TITLES["decisions"]]["found"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("key", "typed"),
    [
        ("psi_threshold", ('if v > triggers["drift"]["psi_threshold"]]', "if v > 0.2]")),
        (
            "max_drifted_share",
            ('if share > triggers["drift"]["max_drifted_share"]:', "if share > 0.3:"),
        ),
    ],
)
def test_a_drift_threshold_typed_into_the_dag(
    cli: Cli, shared: Shared, key: str, typed: tuple[str, str]
) -> None:
    """One drift threshold typed in, the others read from the policy: the run that raises
    that threshold in the policy still retrains on the shifted batch."""
    week = laid(shared)
    edit(week / DAG, *typed)
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {**PASSED, "raised": "failed"}
    raised = checks[TITLES["raised"]]["found"]
    assert raised.startswith(f"with {key} "), raised
    assert ": run success: check_triggers success, promote success, retrain success" in raised
    assert raised.count("; with ") == 0, raised  # the run raising the other one skipped


@pytest.mark.slow
def test_a_stable_batch_that_retrains(cli: Cli, shared: Shared) -> None:
    """The champion's squared error (no square root) compared with max_rmse: the performance
    trigger fires on every batch, the stable one too."""
    week = laid(shared)
    edit(week / DAG, "rmse_now = rmse(CHAMPION, batch)", "rmse_now = rmse(CHAMPION, batch) ** 2")
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {**PASSED, "stable": "failed"}
    stable = checks[TITLES["stable"]]["found"]
    assert stable.startswith("run success: check_triggers success"), stable
    assert "retrain success" in stable and "skip skipped" in stable, stable


@pytest.mark.slow
def test_no_batch_param_a_policy_key_missing_and_no_first_champion(
    cli: Cli, shared: Shared
) -> None:
    """The batch only in the run's conf (no DAG param), promotion.min_improvement left out of
    the policy, and promote that wants a champion to beat: the shape, policy and first-run
    checks fail, the runs that need a champion are blocked."""
    week = laid(shared)
    dag = week / DAG
    edit(dag, '        "batch": Param("data/batches/batch_stable.csv", type="string"),\n', "")
    edit(dag, 'rules["min_improvement"]', 'rules.get("min_improvement", 0.0)')
    edit(dag, "wins = old is None or new <", "wins = old is not None and new <")
    edit(week / "retrain_policy.yaml", "  min_improvement: 0.0", "  # min_improvement: 0.0")
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {
        **PASSED,
        "shape": "failed",
        "policy": "failed",
        "first": "failed",
        **dict.fromkeys(("stable", "worse", "shifted", "raised"), "blocked"),
    }
    assert checks[TITLES["shape"]]["found"] == "no param batch (params: alpha)"
    assert checks[TITLES["policy"]]["found"] == "promotion.min_improvement"
    first = checks[TITLES["first"]]
    assert first["expected"].startswith("retrain to run and promote to save models/champion"), first
    assert first["found"].startswith("run success: check_triggers success, promote success"), first
    assert checks[TITLES["stable"]]["found"] == "the first run left no champion"


def test_blocked_without_an_airflow_environment(cli: Cli, tmp_path: Path) -> None:
    course, week = started_without_airflow(cli, tmp_path, WEEK)
    checks = checked(cli, course, week)
    assert outcomes(checks, TITLES) == dict.fromkeys(TITLES, "blocked")
    env = checks[TITLES["env"]]
    assert env["found"] == (
        "no Airflow environment: no .venv-airflow in week12-retraining-strategies/ or the "
        "workspace root"
    )
    assert "week12-retraining-strategies/requirements-airflow.txt" in env["hint"]


def test_an_airflow_environment_without_airflow_fails_only_its_check(
    cli: Cli, tmp_path: Path
) -> None:
    """The policy file needs no Airflow: it is still judged (the scaffold's passes)."""
    course, week = started_without_airflow(cli, tmp_path, WEEK)
    without_airflow_installed(week.parent)
    checks = checked(cli, course, week)
    assert outcomes(checks, TITLES) == {
        **dict.fromkeys(TITLES, "blocked"),
        "env": "failed",
        "policy": "passed",
    }
    env = checks[TITLES["env"]]
    assert env["found"] == "cannot import airflow (ModuleNotFoundError: No module named 'airflow')"
    assert checks[TITLES["first"]]["found"] == (
        "Airflow could not parse the DAG folder in its environment"
    )
