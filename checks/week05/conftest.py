"""Week 5 fixtures: the learner's MLflow tracking store, and what it holds.

The store is the one env.sh declares (``mlops_roadmap.tracking``). Everything MLflow knows is
gathered once, by probe_tracking.py run in the learner's interpreter through `run`
(``mlops_checks.mlflow_probe``): mlflow (5-7 s to import) never loads in the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import HOLDOUT_CSV, mlflow_probe
from mlops_checks.mlflow_probe import FIRST_IMPORT, MARKER, Facts
from mlops_roadmap import tracking
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import CleanCopy, Run

pytest_plugins = ["mlops_checks.mlflow_fixtures"]
CHECKS_DIR = Path(__file__).resolve().parent
PROBE = CHECKS_DIR / "probe_tracking.py"
EXPERIMENT = "ames-housing"
MAX_RUNS = 20  # newest finished runs whose models are loaded: bounds the probe's time
PROBE_TIMEOUT = 240
TRAIN_TIMEOUT = 240  # seconds for `python train.py` (the solution takes about 12)
CLEAN_OUTPUTS = ("mlflow.db", "mlruns", "mlartifacts")  # left out of the clean copy
FIRST_STORE = (
    "Make the check 'The tracking store declared in env.sh holds the experiment "
    f"{EXPERIMENT}' pass first."
)


def run_probe(
    run: Run, python: Path, store_uri: str, cwd: Path, args: Sequence[str]
) -> dict[str, Any]:
    """probe_tracking.py's answer, or {"crash": what went wrong} when it printed none."""
    argv = [python, PROBE, MARKER, EXPERIMENT, MAX_RUNS, *args]
    return mlflow_probe.run_probe(run, argv, store_uri, cwd, PROBE_TIMEOUT)


@pytest.fixture(scope="session")
def libraries() -> str:
    """What the week's environment must import, for the shared check's message."""
    return "mlflow, scikit-learn and pandas"


@pytest.fixture(scope="session")
def facts(run: Run, learner_python: Path, week_dir: Path) -> Facts:
    """One probe run: the imports, then (when the store is there) its runs and their models."""
    store = tracking.declared_store(week_dir)
    problem = tracking.store_problem(store)
    tables = [f"test={week_dir / 'data' / 'raw' / 'test.csv'}", f"holdout={HOLDOUT_CSV}"]
    args = ["--imports-only"] if problem else tables
    return Facts(store, problem, run_probe(run, learner_python, store.uri, week_dir, args))


@pytest.fixture(scope="session")
def experiment(facts: Facts) -> dict[str, Any]:
    """The experiment's facts, or the check is blocked because the store cannot be read."""
    if facts.import_errors:
        blocked("MLflow does not import in the workspace virtual environment", hint=FIRST_IMPORT)
    if facts.problem is not None:
        if facts.problem.blocked:
            blocked(facts.problem.found, hint=facts.problem.hint)
        blocked("the tracking store cannot be read yet", hint=FIRST_STORE)
    tracking = facts.store_facts
    if tracking.get("error") or not tracking.get("experiment"):
        blocked(f"the experiment {EXPERIMENT!r} cannot be read yet", hint=FIRST_STORE)
    if tracking["experiment"]["stage"] != "active":
        blocked(f"the experiment {EXPERIMENT!r} is deleted", hint=FIRST_STORE)
    return tracking


@pytest.fixture(scope="session")
def finished_runs(experiment: dict[str, Any]) -> list[dict[str, Any]]:
    """The newest finished runs (at most MAX_RUNS), each with its logged models."""
    runs = [r for r in experiment["runs"] if r["status"] == "FINISHED" and "models" in r]
    if not runs:
        blocked(
            f"the experiment {EXPERIMENT!r} has no finished run to inspect",
            hint="Make the check 'At least two finished runs with different parameters' "
            "pass first.",
        )
    return runs


@dataclass(frozen=True)
class CleanTraining:
    """`python train.py` run once in a fresh copy, and what its new store then holds."""

    store_uri: str
    returncode: int
    timed_out: bool
    output_tail: str
    answer: dict[str, Any]


@pytest.fixture(scope="module")
def clean_training(run: Run, clean_copy: CleanCopy, learner_python: Path) -> CleanTraining:
    """train.py run in a fresh copy with MLFLOW_TRACKING_URI at a new SQLite file there.

    The check never writes to the learner's own store or server; the probe reads the new one.
    """
    folder = clean_copy(*CLEAN_OUTPUTS)
    db = folder / "mlflow.db"
    uri = f"sqlite:///{db}"
    if not (folder / "train.py").is_file():
        return CleanTraining(uri, 2, False, "train.py is missing from the week folder", {})
    env = tracking.probe_env(uri)
    result = run([learner_python, "train.py"], cwd=folder, env=env, timeout=TRAIN_TIMEOUT)
    answer: dict[str, Any] = {}
    if result.returncode == 0 and db.is_file():
        answer = run_probe(run, learner_python, uri, folder, [])
    return CleanTraining(uri, result.returncode, result.timed_out, result.tail(8), answer)
