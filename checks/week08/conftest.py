"""Week 8 fixtures: housing_mlflow run three times in the Airflow environment, then the MLflow
store those runs wrote to, read by probe_store.py in the same environment.

The check gives the DAG a store of its own: MLFLOW_TRACKING_URI (and the Airflow Variable
mlflow_tracking_uri, as AIRFLOW_VAR_MLFLOW_TRACKING_URI) name a new SQLite file in the check's
scratch space, so a DAG that types in a tracking URI logs nowhere the check can see, and the
learner's own server is never written to. The DAG runs in a fresh copy of the week whose data
the check changed, with ``dag.test()`` and retries forced to 0, with the conf {"alpha": ...}:
10,000 (a weak first model: no champion yet, so it must be registered), 1,000,000 (worse: it
must register nothing) and 1.0 (better: a new version, and the champion moves to it).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import HOLDOUT, TARGET, dag_runs, mlflow_probe
from mlops_checks.airflow_env import AirflowEnv
from mlops_checks.dag_runs import DagRun, Found, Spec
from mlops_roadmap import tracking
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import CleanCopy, Run

pytest_plugins = ["mlops_checks.airflow_fixtures"]
CHECKS_DIR = Path(__file__).resolve().parent
DAG_ID = "housing_mlflow"
TASKS = ("train", "evaluate", "register")
MODEL, ALIAS = "ames-price", "champion"
LIBRARIES = ("airflow.sdk", "mlflow", "sklearn", "pandas")
RUNS = {"weak": 10_000.0, "bad": 1_000_000.0, "good": 1.0}  # label -> the run's alpha
PROBE_TIMEOUT = 900  # parse, migrate, three runs that import MLflow: 2-4 minutes loaded
STORE_TIMEOUT = 300
FIRST_ENV = "Make the check 'The Airflow environment imports Airflow 3, MLflow ...' pass first."
FIRST_PARSE = "Make the check 'dags/ loads into a DagBag with no import errors' pass first."
FIRST_RUNS = "Make the check 'Three runs of housing_mlflow succeed' pass first."
FIRST_TRACKING = (
    "Make the check 'Each DAG run logged an MLflow run tagged with its Airflow dag and run "
    "ids' pass first."
)


@dataclass(frozen=True)
class Tracked:
    """The DAG's runs, the copy they ran in, the store they wrote to and what it holds."""

    found: Found
    copy: Path
    changed: str
    store_uri: str
    store: dict[str, Any]  # probe_store.py's answer ({"crash": ...} when it printed none)

    def run(self, label: str) -> DagRun:
        done = dag_runs.usable(self.found, FIRST_ENV).run(label)
        if done is None:
            blocked(f"housing_mlflow was not run: {self.found.crash or 'see above'}", FIRST_PARSE)
        return done

    def mlflow_runs(self) -> list[dict[str, Any]]:
        """The store's runs tagged with the DAG's id, or blocked when it cannot be read."""
        if not self.found.runs:
            self.run(next(iter(RUNS)))  # blocked, naming why the DAG never ran
        if "crash" in self.store or self.store.get("store", {}).get("error"):
            reason = self.store.get("crash") or self.store["store"]["error"]
            blocked(f"the check's MLflow store cannot be read: {reason}", hint=FIRST_RUNS)
        return list(self.store.get("store", {}).get("runs", []))

    def mlflow_run_of(self, label: str) -> dict[str, Any] | None:
        """The MLflow run tagged with the Airflow run id of the DAG run ``label``."""
        run_id = self.run(label).run_id
        tagged = [r for r in self.mlflow_runs() if r["tags"].get("airflow_run_id") == run_id]
        return tagged[0] if tagged else None


def tracking_env(uri: str) -> dict[str, str]:
    return {
        **tracking.MLFLOW_ENV,
        "MLFLOW_TRACKING_URI": uri,
        "AIRFLOW_VAR_MLFLOW_TRACKING_URI": uri,
    }


@pytest.fixture(scope="session")
def tracked(
    run: Run,
    airflow: AirflowEnv,
    airflow_template: Path,
    clean_copy: CleanCopy,
    held_out: HeldOut,
    tmp_path_factory: pytest.TempPathFactory,
) -> Tracked:
    """housing_mlflow run three times in a fresh copy, then its store read."""
    copy = clean_copy(*dag_runs.CLEAN_OUTPUTS)
    seed = random.randrange(1_000_000)
    changed = dag_runs.changed_data(copy, seed) + f" (seed {seed})"
    scratch = tmp_path_factory.mktemp("airflow")
    uri = f"sqlite:///{scratch / 'mlflow.db'}"
    runs = tuple(
        {"label": label, "logical_date": f"2026-03-0{i + 1}T00:00:00+00:00", "conf": {"alpha": a}}
        for i, (label, a) in enumerate(RUNS.items())
    )
    spec = Spec(copy / "dags", DAG_ID, copy, LIBRARIES, runs)
    found = dag_runs.probe(
        run, airflow, spec, scratch, airflow_template, PROBE_TIMEOUT, tracking_env(uri)
    )
    store: dict[str, Any] = {"crash": "the DAG never ran"}
    if found.runs:
        holdout = held_out.features(HOLDOUT, drop=[TARGET])  # the prices stay with the check
        argv = [
            airflow.python,
            CHECKS_DIR / "probe_store.py",
            mlflow_probe.MARKER,
            DAG_ID,
            MODEL,
            ALIAS,
            f"test={copy / 'data' / 'raw' / 'test.csv'}",
            f"holdout={holdout}",
        ]
        store = mlflow_probe.run_probe(run, argv, uri, scratch, STORE_TIMEOUT)
    return Tracked(found, copy, changed, uri, store)


@pytest.fixture(scope="session")
def dag(tracked: Tracked) -> dict[str, Any]:
    """The shape of housing_mlflow, or blocked."""
    return dag_runs.dag_of(dag_runs.usable(tracked.found, FIRST_ENV), DAG_ID, FIRST_PARSE)
