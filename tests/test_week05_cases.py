"""Week 5's checks judged both ways: wrong submissions each check must fail (mutations of the
reference solution's train.py, each logging its own run into one shared store so that one check
run judges them all, each named by its run) and right submissions written from the lesson, not
from the solution (tests/fixtures/week05/), that every check must pass.

Every case runs the real CLI on a workspace laid as `course verify` lays it, from one base
(scaffold and virtual environment) shared by the module. Logging runs takes MLflow 5-10 s to
import each time: all but the environment cases are in the slow suite.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlops_checks.mlflow_probe import logged_rmse, mae, named_scores, r2
from mlops_checks.scores import rmse
from tests.conftest import FIXTURES, REPO, Cli
from tests.test_week05_mlflow import FOLDER, check, make_workspace, outcomes, running_under
from tests.test_week09_api import edit
from tests.timing import scaled

CASES = FIXTURES / "week05"
SOLUTION = REPO / "solutions" / "week05" / "train.py"
ENVIRONMENT = "test_week05_1_environment.py::test_libraries_import"
TRACKING = "test_week05_2_tracking.py::"
STORE = TRACKING + "test_store_holds_experiment"
TWO_RUNS = TRACKING + "test_two_finished_runs"
LOGGED = TRACKING + "test_runs_log_params_metric_tags"
PROVENANCE = TRACKING + "test_runs_record_their_provenance"
MODELS = TRACKING + "test_runs_log_models"
REPRODUCE = TRACKING + "test_models_reproduce_rmse"
UNSEEN = TRACKING + "test_best_model_predicts_unseen_houses"
CLEAN = "test_week05_3_training.py::test_train_logs_a_run"
ALL = [ENVIRONMENT, STORE, TWO_RUNS, LOGGED, PROVENANCE, MODELS, REPRODUCE, UNSEEN, CLEAN]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The week's fresh scaffold and a virtual environment, nothing run: each case copies it."""
    return make_workspace(tmp_path_factory.mktemp("base"), solved=False, prepared=False)


def copy_of(base: Path, tmp_path: Path) -> Path:
    """A private copy of the base workspace (its venv's interpreter is a symlink: kept)."""
    ws = tmp_path / "ws"
    shutil.copytree(base, ws, symlinks=True)
    return ws


def train(ws: Path, script: str, *options: str) -> None:
    """`python SCRIPT OPTIONS` in the week folder, logging to the store env.sh declares."""
    week = ws / FOLDER
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{week / 'mlflow.db'}",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    done = subprocess.run(
        [ws / ".venv" / "bin" / "python", script, *options],
        cwd=week, env=env, capture_output=True, text=True, timeout=scaled(300), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]


# -- the scores the checks recompute, against scikit-learn's ---------------------------------


def test_scores_agree_with_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = random.Random(5)
    actual = [rng.uniform(50_000, 400_000) for _ in range(300)]
    predicted = [a + rng.gauss(0, 25_000) for a in actual]
    assert math.isclose(rmse(actual, predicted), metrics.root_mean_squared_error(actual, predicted))
    assert math.isclose(mae(actual, predicted), metrics.mean_absolute_error(actual, predicted))
    assert math.isclose(r2(actual, predicted), metrics.r2_score(actual, predicted))


def test_metric_names_a_run_may_use() -> None:
    logged = {"rmse": 3.0, "test_rmse": 4.0, "test-mae": 1.0, "R2_test": 0.5, "train_rmse": 2.0}
    assert named_scores(logged) == {
        "rmse": ("rmse", 3.0),
        "mae": ("test-mae", 1.0),
        "r2": ("R2_test", 0.5),
    }
    assert named_scores({"train_rmse": 2.0, "val_mae": 1.0, "rmse_train": 1.0}) == {}
    assert logged_rmse({"test/rmse": 7.0}) == 7.0


# -- the environment ---------------------------------------------------------------------------


def test_environment_without_mlflow(cli: Cli, base: Path, tmp_path: Path) -> None:
    ws = copy_of(base, tmp_path)
    shutil.rmtree(ws / ".venv")
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", ws / ".venv"], capture_output=True,
        check=False, timeout=scaled(120),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    checks = check(cli, ws, "environment or tracking")
    assert checks[ENVIRONMENT]["outcome"] == "failed"
    assert checks[ENVIRONMENT]["found"].startswith("cannot import mlflow (ModuleNotFoundError")
    assert checks[ENVIRONMENT]["hint"].startswith("From the workspace root: `.venv/bin/pip install")
    assert {checks[c]["outcome"] for c in ALL[1:-1]} == {"blocked"}


# -- right submissions written from the lesson -----------------------------------------------

RIGHT = ["right-float-signature", "right-pandas-hash"]


@pytest.mark.slow  # two runs logged, then every check (a clean training among them): ~2 min
@pytest.mark.parametrize("case", RIGHT)
def test_right_submission_passes(cli: Cli, base: Path, tmp_path: Path, case: str) -> None:
    ws = copy_of(base, tmp_path)
    shutil.copytree(CASES / case, ws / FOLDER, dirs_exist_ok=True)
    train(ws, "train.py", "--model", "linear")
    train(ws, "train.py", "--model", "ridge", "--alpha", "10")
    checks = check(cli, ws)
    assert sorted(checks) == sorted(ALL)
    assert set(outcomes(checks).values()) == {"passed"}, checks
    assert running_under(tmp_path) == []


# -- wrong submissions: mutations of the solution's train.py, one run each ---------------------


def mutant(week: Path, case: str, edits: list[tuple[str, str]]) -> str:
    """The solution's train.py with ``edits``, as train_<case>.py whose runs are named ``case``."""
    script = week / f"train_{case.replace('-', '_')}.py"
    script.write_text(SOLUTION.read_text(encoding="utf-8"), encoding="utf-8")
    name = 'name = args.model if args.model == "linear" else f"ridge-alpha{args.alpha:g}"'
    edit(script, name, f"name = {case!r}")
    for old, new in edits:
        edit(script, old, new)
    return script.name


@dataclass(frozen=True)
class Mutant:
    """Edits of the solution's train.py, and the options its run is logged with."""

    edits: list[tuple[str, str]]
    options: tuple[str, ...] = ()


DROP_FIREPLACES = (
    "        numeric = [c for c",
    '        x_train = x_train.drop(columns=["fireplaces"])\n'
    '        x_test = x_test.drop(columns=["fireplaces"])\n'
    "        numeric = [c for c",
)
MUTANTS = {
    # the data hash of the test file
    "test-hash": Mutant([("file_md5(TRAIN_CSV)", "file_md5(TEST_CSV)")]),
    # Ridge built without the alpha the run logs
    "alpha-ignored": Mutant(
        [("Ridge(alpha=alpha)", "Ridge()")], ("--model", "ridge", "--alpha", "10")
    ),
    # a column dropped after the parameters were logged
    "features-stale": Mutant([DROP_FIREPLACES]),
    # the metrics of the training set logged as the test set's
    "train-metrics": Mutant(
        [("scores(y_test, pipeline.predict(x_test))", "scores(y_train, pipeline.predict(x_train))")]
    ),
    # no input example, so no signature
    "no-example": Mutant([(", input_example=x_train.head(5))", ")")]),
    # rmse only
    "rmse-only": Mutant(
        [("mlflow.log_metrics(metrics)", 'mlflow.log_metric("rmse", metrics["rmse"])')]
    ),
}


@pytest.fixture(scope="module")
def mutants(base: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workspace whose store holds one run of each mutant, and whose train.py pastes the
    data hash of the shipped train.csv (right for that file only)."""
    ws = copy_of(base, tmp_path_factory.mktemp("mutants"))
    week = ws / FOLDER
    for case, change in MUTANTS.items():
        train(ws, mutant(week, case, change.edits), *change.options)
    shipped = hashlib.md5((week / "data" / "raw" / "train.csv").read_bytes()).hexdigest()
    pasted = mutant(week, "pasted-hash", [("file_md5(TRAIN_CSV)", repr(shipped))])
    train(ws, pasted)
    shutil.move(week / pasted, week / "train.py")
    return ws


@pytest.mark.slow  # seven runs logged, then every check: ~3 min
def test_each_mutant_fails_the_check_about_it(cli: Cli, mutants: Path) -> None:
    checks = check(cli, mutants)
    assert outcomes(checks) == {
        ENVIRONMENT: "passed",
        STORE: "passed",
        TWO_RUNS: "passed",
        LOGGED: "failed",
        PROVENANCE: "failed",
        MODELS: "failed",
        REPRODUCE: "failed",
        UNSEEN: "passed",
        CLEAN: "failed",
    }, checks
    by_run = {c: named(checks[c]["found"]) for c in (LOGGED, PROVENANCE, MODELS, REPRODUCE)}
    assert by_run == {
        LOGGED: {"rmse-only"},
        PROVENANCE: {"test-hash", "alpha-ignored", "features-stale"},
        MODELS: {"no-example"},
        REPRODUCE: {"train-metrics"},
    }, checks
    provenance = checks[PROVENANCE]["found"]
    assert "data_md5 " in provenance and " is the MD5 of data/raw/test.csv, the test set" in (
        provenance
    )
    assert "alpha=10.0, but its model's alpha is 1" in provenance
    assert "features lists fireplaces, which its model does not take" in provenance
    assert "has no metric mae or r2 (it has rmse)" in checks[LOGGED]["found"]
    assert "has no signature/input example" in checks[MODELS]["found"]
    assert "logged rmse " in checks[REPRODUCE]["found"]
    assert checks[REPRODUCE]["hint"].startswith("Score the test set (data/raw/test.csv")
    clean = checks[CLEAN]
    assert "data/raw/train.csv rows shuffled" in clean["expected"]
    assert (
        "data_md5 " in clean["found"]
        and "is no hash of the copy's data/raw/train.csv" in (clean["found"])
    )
    assert clean["hint"].startswith("Compute everything at run time from the files")


def named(found: str) -> set[str]:
    """The runs a check's message names ("run 'test-hash' (1a2b3c4d)...")."""
    return {part.split("'")[1] for part in found.split("; ") if part.startswith("run '")}


@pytest.mark.slow  # two runs logged, then the store's checks: ~1.5 min
def test_same_command_twice_with_an_underfitting_default(
    cli: Cli, base: Path, tmp_path: Path
) -> None:
    ws = copy_of(base, tmp_path)
    script = ws / FOLDER / "train.py"
    script.write_text(SOLUTION.read_text(encoding="utf-8"), encoding="utf-8")
    edit(script, 'choices=["linear", "ridge"], default="linear"',
         'choices=["linear", "ridge"], default="ridge"')  # fmt: skip
    edit(script, 'default=1.0, help="Ridge', 'default=1e5, help="Ridge')
    train(ws, "train.py")
    train(ws, "train.py")
    checks = check(cli, ws, "tracking")
    assert {c: o for c, o in outcomes(checks).items() if o != "passed"} == {
        TWO_RUNS: "failed",
        UNSEEN: "failed",
    }, checks
    assert checks[TWO_RUNS]["found"] == (
        "2 runs (2 FINISHED); 1 different parameter set(s) among the finished ones"
    )
    assert checks[UNSEEN]["found"].startswith("an RMSE of $")
    assert checks[UNSEEN]["hint"].endswith("a very large alpha underfits.")
