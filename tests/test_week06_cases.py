"""Week 6's checks judged both ways: wrong submissions each check must fail (mutations of the
reference solution and of its registry: a promote.py that ranks by the logged metric, one that
fails when there is nothing to do, a champion set by hand, an underfitting champion, a model
registered once, a server of one's own that answers 200 to anything) and a right submission
written from the lesson, not from the solution (tests/fixtures/week06/), that every check must
pass: float features and an explicit signature, a model registered after its run, test_*
metric names, a promote.py of its own.

Cases run the real CLI on copies of one finished week the module prepares (scaffold, solution,
prepare.sh: two versions and a champion); MLflow is slow to start, so all but the environment
case are in the slow suite.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_roadmap import course, scaffold, servers, venvs, workspace
from mlops_roadmap.commands import verify
from tests.conftest import FIXTURES, REPO, Cli
from tests.test_week06_registry import FOLDER, champion, check, running_under
from tests.test_week09_api import edit
from tests.timing import scaled

WEEK = 6
CASES = FIXTURES / "week06"
ENVIRONMENT = "test_week06_1_environment.py::test_libraries_import"
VERSIONS = "test_week06_2_registry.py::test_registered_model_versions"
BEST = "test_week06_2_registry.py::test_champion_is_best"
UNSEEN = "test_week06_2_registry.py::test_champion_predicts_unseen_houses"
PROMOTE = "test_week06_3_promote.py::test_promote_picks_best_and_is_idempotent"
SERVED = "test_week06_4_serving.py::test_served_predictions_match"
BAD = "test_week06_4_serving.py::test_bad_payload_rejected"
ALL = [ENVIRONMENT, VERSIONS, BEST, UNSEEN, PROMOTE, SERVED, BAD]


def laid(base: Path, solved: bool) -> Path:
    """A workspace at base/ws with the week's scaffold (and the solution), a virtual
    environment, nothing run."""
    plan = course.load(REPO)
    week = plan.plan.week(WEEK)
    ws = workspace.init(base / "ws")
    scaffold.lay(plan, week, ws, ws.week_dir(week), force=False)
    if solved:
        ignore = shutil.ignore_patterns("prepare.sh")
        shutil.copytree(plan.solution(week), ws.week_dir(week), dirs_exist_ok=True, ignore=ignore)
    venvs.layered(ws.root / ".venv", ws.week_dir(week) / "requirements.txt")
    return ws.root


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The finished week (prepare.sh run: versions 1 and 2, champion on 2), made once per
    module: each case copies it."""
    plan = course.load(REPO)
    base = tmp_path_factory.mktemp("finished")
    return verify.prepare(plan, plan.plan.week(WEEK), base / "ws", with_solution=True).root


def copy_of(template: Path, tmp_path: Path) -> Path:
    """A private copy of a workspace. Its registry's model files stay the template's (they are
    only read); what a case logs anew goes to the copy's own mlruns/."""
    ws = tmp_path / "ws"
    shutil.copytree(template, ws, symlinks=True)
    with sqlite3.connect(ws / FOLDER / "mlflow.db") as db:
        db.execute(
            "UPDATE experiments SET artifact_location = replace(artifact_location, ?, ?)",
            (str(template), str(ws)),
        )
    return ws


def python_in(ws: Path, *args: str) -> None:
    """Run the workspace's interpreter in the week folder against its own store."""
    week = ws / FOLDER
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{week / 'mlflow.db'}",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    done = subprocess.run(
        [ws / ".venv" / "bin" / "python", *args],
        cwd=week, env=env, capture_output=True, text=True, timeout=scaled(300), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]


def registry(ws: Path, code: str) -> None:
    """Change the copy's registry with MlflowClient calls (``client`` is one)."""
    python_in(ws, "-c", f"from mlflow import MlflowClient\nclient = MlflowClient()\n{code}")


# -- the environment ---------------------------------------------------------------------------


def test_environment_without_mlflow(cli: Cli, tmp_path: Path) -> None:
    ws = laid(tmp_path, solved=True)
    shutil.rmtree(ws / ".venv")
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", ws / ".venv"], capture_output=True,
        check=False, timeout=scaled(120),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    checks = check(cli, ws, "environment or registry")
    assert checks[ENVIRONMENT]["outcome"] == "failed"
    assert checks[ENVIRONMENT]["found"].startswith("cannot import mlflow (ModuleNotFoundError")
    assert {checks[c]["outcome"] for c in (VERSIONS, BEST, UNSEEN)} == {"blocked"}


# -- a right submission written from the lesson ----------------------------------------------


@pytest.mark.slow  # two runs, promote.py, then every check (a model server among them): ~4 min
def test_right_submission_passes(cli: Cli, tmp_path: Path) -> None:
    ws = laid(tmp_path, solved=False)
    shutil.copytree(CASES / "right-float-registered", ws / FOLDER, dirs_exist_ok=True)
    python_in(ws, "train.py", "--model", "linear")
    python_in(ws, "train.py", "--model", "ridge", "--alpha", "10")
    python_in(ws, "promote.py")
    checks = check(cli, ws)
    assert sorted(checks) == sorted(ALL)
    assert {c["outcome"] for c in checks.values()} == {"passed"}, checks
    assert running_under(tmp_path) == []


# -- wrong submissions -----------------------------------------------------------------------

BY_LOGGED = (
    '        model = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}/{version.version}")\n'
    "        scores[str(version.version)] = rmse(y_test, model.predict(x_test))\n",
    '        scores[str(version.version)] = client.get_run(version.run_id).data.metrics["rmse"]\n',
)


def rmse_of(text: str, version: int) -> float:
    """The RMSE a verdict gives ``version``: "champion on version N (RMSE 24,606.85 on
    data/raw/test.csv ..."."""
    found = re.match(
        rf"champion on version {version} \(RMSE ([\d,]+\.\d\d) on data/raw/test\.csv", text
    )
    assert found, text
    return float(found.group(1).replace(",", ""))


@pytest.mark.slow  # the registry probe, a decoy and promote.py twice: ~2 min
def test_promote_by_logged_metric_and_a_champion_set_by_hand(
    cli: Cli, finished: Path, tmp_path: Path
) -> None:
    ws = copy_of(finished, tmp_path)
    edit(ws / FOLDER / "promote.py", *BY_LOGGED)
    registry(ws, "client.set_registered_model_alias('ames-price', 'champion', '1')")
    checks = check(cli, ws, "champion_is_best or promote")
    assert {c: checks[c]["outcome"] for c in (BEST, PROMOTE)} == {
        BEST: "failed",
        PROMOTE: "failed",
    }
    best = checks[BEST]
    # The RMSEs are the check's own scores of each version (they move a little with the
    # libraries' versions): the best is version 2, the hand-set champion and the decoy worse.
    best_rmse = rmse_of(best["expected"], version=2)
    assert rmse_of(best["found"], version=1) > best_rmse
    assert best["hint"].startswith("Run `python promote.py`")
    promote = checks[PROMOTE]
    assert rmse_of(promote["found"], version=3) > best_rmse
    assert (
        "the check's decoy: the worst model, registered from a run that logged better"
        in (promote["found"])
    )
    assert promote["hint"].startswith("promote.py ranked the versions by the metric their runs")
    assert champion(ws)[0] == "1"  # the learner's own registry was not touched


@pytest.mark.slow
def test_promote_that_fails_when_nothing_changes(cli: Cli, finished: Path, tmp_path: Path) -> None:
    ws = copy_of(finished, tmp_path)
    edit(
        ws / FOLDER / "promote.py",
        'nothing to change")\n        return 0',
        'nothing to change")\n        return 1',
    )
    checks = check(cli, ws, "promote")
    assert checks[PROMOTE]["outcome"] == "failed"
    assert checks[PROMOTE]["found"].startswith("champion on version 2; exit status 1:")
    assert checks[PROMOTE]["hint"].startswith("When the champion is already the best")


@pytest.mark.slow
def test_a_model_registered_once(cli: Cli, finished: Path, tmp_path: Path) -> None:
    ws = copy_of(finished, tmp_path)
    registry(ws, "client.delete_model_version('ames-price', '1')")
    checks = check(cli, ws, "registered_model_versions")
    assert checks[VERSIONS]["outcome"] == "failed"
    assert checks[VERSIONS]["found"] == "1 version(s)"


@pytest.mark.slow
def test_an_underfitting_champion(cli: Cli, finished: Path, tmp_path: Path) -> None:
    ws = copy_of(finished, tmp_path)
    python_in(ws, "train.py", "--model", "ridge", "--alpha", "100000")
    registry(ws, "client.set_registered_model_alias('ames-price', 'champion', '3')")
    checks = check(cli, ws, "registry")
    assert {c: checks[c]["outcome"] for c in (VERSIONS, BEST, UNSEEN)} == {
        VERSIONS: "passed",
        BEST: "failed",
        UNSEEN: "failed",
    }
    assert checks[UNSEEN]["found"].startswith("an RMSE of $")


@pytest.fixture
def lenient_server(finished: Path, tmp_path: Path) -> Iterator[tuple[Path, servers.Server]]:
    """A copy of the finished week whose own server (SERVING_URL) answers 200 to anything."""
    ws = copy_of(finished, tmp_path)
    week = ws / FOLDER
    shutil.copy(CASES / "wrong-lenient-server" / "serve.py", week / "serve.py")
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{week / 'mlflow.db'}",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    server = servers.start(
        [ws / ".venv" / "bin" / "python", "serve.py", "{port}"],
        ready_path="/ping",
        cwd=week,
        env=env,
        timeout=scaled(150),
    )
    try:
        yield ws, server
    finally:
        server.stop()


@pytest.mark.slow
def test_own_server_that_answers_anything(
    cli: Cli, lenient_server: tuple[Path, servers.Server]
) -> None:
    ws, server = lenient_server
    env_sh = ws / FOLDER / "env.sh"
    env_sh.write_text(env_sh.read_text() + f"export SERVING_URL={server.url}\n")
    checks = check(cli, ws, "serving")
    assert checks[SERVED]["outcome"] == "passed"
    assert checks[BAD]["outcome"] == "failed"
    assert checks[BAD]["found"] == 'HTTP 200: {"predictions": []}'
