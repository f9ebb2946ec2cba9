"""Week 5 fixtures: the learner's MLflow tracking store, and what it holds.

The store is the one env.sh declares (tracking_store.py). Everything MLflow knows is gathered
once, by probe_tracking.py run in the learner's interpreter through `run`: mlflow (5-7 s to
import) never loads in the engine.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from mlops_roadmap.checking import blocked

if TYPE_CHECKING:
    from tracking_store import Problem, Store

CHECKS_DIR = Path(__file__).resolve().parent
HOLDOUT_CSV = CHECKS_DIR / "data" / "holdout.csv"
PROBE = CHECKS_DIR / "probe_tracking.py"
MARKER = "PROBE-JSON:"
EXPERIMENT = "ames-housing"
MAX_RUNS = 20  # newest finished runs whose models are loaded: bounds the probe's time
PROBE_TIMEOUT = 240
TRAIN_TIMEOUT = 240  # seconds for `python train.py` (the solution takes about 12)
CLEAN_OUTPUTS = ("mlflow.db", "mlruns", "mlartifacts")  # left out of the clean copy
FIRST_IMPORT = "Make the check 'MLflow, scikit-learn and pandas import' pass first."
FIRST_STORE = (
    "Make the check 'The tracking store declared in env.sh holds the experiment "
    f"{EXPERIMENT}' pass first."
)


def _load(name: str) -> ModuleType:
    """A module next to this file, under a name of its own (importlib mode adds no path)."""
    spec = importlib.util.spec_from_file_location(f"week05_{name}", CHECKS_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


tracking_store = _load("tracking_store")


def run_probe(
    run: Callable[..., Any], python: Path, store_uri: str, cwd: Path, args: Sequence[str | Path]
) -> dict[str, Any]:
    """probe_tracking.py's answer, or {"crash": what went wrong} when it printed none."""
    result = run(
        [python, PROBE, MARKER, EXPERIMENT, MAX_RUNS, *args],
        cwd=cwd,
        env=tracking_store.probe_env(store_uri),
        timeout=PROBE_TIMEOUT,
    )
    answer = tracking_store.parse_probe(result.stdout, MARKER)
    if answer is not None:
        return answer
    if result.timed_out:
        return {"crash": f"the MLflow probe ran for more than {PROBE_TIMEOUT} s and was stopped"}
    return {"crash": f"the MLflow probe failed (exit {result.returncode}): {result.tail(6)}"}


@dataclass(frozen=True)
class Facts:
    """What the learner's interpreter and tracking store hold."""

    store: Store
    problem: Problem | None
    answer: dict[str, Any]

    @property
    def import_errors(self) -> list[str]:
        if "crash" in self.answer:
            return [self.answer["crash"]]
        return list(self.answer.get("imports", {}).get("errors", []))

    @property
    def tracking(self) -> dict[str, Any]:
        return dict(self.answer.get("store") or {})


@pytest.fixture(scope="session")
def facts(run: Callable[..., Any], learner_python: Path, week_dir: Path) -> Facts:
    """One probe run: the imports, then (when the store is there) its runs and their models."""
    store = tracking_store.declared_store(week_dir)
    problem = tracking_store.store_problem(store)
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
    tracking = facts.tracking
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
def clean_training(
    run: Callable[..., Any], clean_copy: Callable[..., Path], learner_python: Path
) -> CleanTraining:
    """train.py run in a fresh copy with MLFLOW_TRACKING_URI at a new SQLite file there.

    The check never writes to the learner's own store or server; the probe reads the new one.
    """
    folder = clean_copy(*CLEAN_OUTPUTS)
    db = folder / "mlflow.db"
    uri = f"sqlite:///{db}"
    if not (folder / "train.py").is_file():
        return CleanTraining(uri, 2, False, "train.py is missing from the week folder", {})
    env = tracking_store.probe_env(uri)
    result = run([learner_python, "train.py"], cwd=folder, env=env, timeout=TRAIN_TIMEOUT)
    answer: dict[str, Any] = {}
    if result.returncode == 0 and db.is_file():
        answer = run_probe(run, learner_python, uri, folder, [])
    return CleanTraining(uri, result.returncode, result.timed_out, result.tail(8), answer)
