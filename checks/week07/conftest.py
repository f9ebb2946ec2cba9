"""Week 7 fixtures: dags/ parsed and housing_pipeline run in the Airflow environment.

One probe (``mlops_checks.dag_runs``) does everything, in a fresh copy of the week folder whose
data the check changed: it parses dags/ with a DagBag, then runs the DAG three times with
``dag.test()`` and every task's retries forced to 0 (a failing run must not wait through them):
twice on the same logical date (the second run must overwrite the first's outputs) and once
with a max_rmse no model meets (the gate must fail evaluate). After the first run the model
train returned is loaded in the Airflow environment and predicts the copy's test houses and
houses the check holds back (their features only: the prices stay here).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import HOLDOUT, TARGET, dag_runs
from mlops_checks.airflow_env import AirflowEnv
from mlops_checks.dag_runs import DagRun, Found, Spec
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import CleanCopy, Run

pytest_plugins = ["mlops_checks.airflow_fixtures"]
DAG_ID = "housing_pipeline"
TASKS = ("preprocess", "train", "evaluate")
LIBRARIES = ("airflow.sdk", "pandas", "sklearn", "joblib")
METRICS = "data/metrics.json"
LOGICAL_DATE = "2026-03-02T00:00:00+00:00"  # both good runs: a rerun of the same interval
GATE_DATE = "2026-03-03T00:00:00+00:00"
GATE = {"max_rmse": 1.0}  # no model of house prices is within a dollar
PROBE_TIMEOUT = 720  # parse, migrate, three runs: about 60 s quiet, 3 minutes loaded
FIRST_ENV = "Make the check 'The Airflow environment imports Airflow 3 ...' pass first."
FIRST_PARSE = "Make the check 'dags/ loads into a DagBag with no import errors' pass first."
FIRST_RUN = "Make the check 'A full run of housing_pipeline succeeds' pass first."


@dataclass(frozen=True)
class Pipeline:
    """The probe's findings, the copy it ran in, and how the copy's data was changed."""

    found: Found
    copy: Path
    changed: str

    def run(self, label: str, first: str = FIRST_RUN) -> DagRun:
        """A run of the DAG, or blocked when there is none (the DAG did not parse)."""
        done = dag_runs.usable(self.found, FIRST_ENV).run(label)
        if done is None:
            blocked(f"housing_pipeline was not run: {self.found.crash or 'see above'}", hint=first)
        return done


def predict_step(copy: Path, holdout: Path) -> dict[str, Any]:
    """After the first run: the model train returned, asked about three tables."""
    tables = {
        "holdout": holdout,
        "prepared": copy / "data" / "prepared" / "test.csv",
        "raw": copy / "data" / "raw" / "test.csv",
    }
    return {"loader": "joblib", "task": "train", "tables": {k: str(v) for k, v in tables.items()}}


@pytest.fixture(scope="session")
def pipeline(
    run: Run,
    airflow: AirflowEnv,
    airflow_template: Path,
    clean_copy: CleanCopy,
    held_out: HeldOut,
    tmp_path_factory: pytest.TempPathFactory,
) -> Pipeline:
    """dags/ parsed and housing_pipeline run three times in a fresh copy of the week."""
    copy = clean_copy(*dag_runs.CLEAN_OUTPUTS)
    seed = random.randrange(1_000_000)
    changed = dag_runs.changed_data(copy, seed) + f" (seed {seed})"
    holdout = held_out.features(HOLDOUT, drop=[TARGET])  # the prices stay with the check
    runs = (
        {"label": "first", "logical_date": LOGICAL_DATE, "predict": predict_step(copy, holdout)},
        {"label": "second", "logical_date": LOGICAL_DATE},
        {"label": "gate", "logical_date": GATE_DATE, "conf": GATE},
    )
    spec = Spec(copy / "dags", DAG_ID, copy, LIBRARIES, runs, read=(METRICS,))
    scratch = tmp_path_factory.mktemp("airflow")
    found = dag_runs.probe(run, airflow, spec, scratch, airflow_template, PROBE_TIMEOUT)
    return Pipeline(found, copy, changed)


@pytest.fixture(scope="session")
def dag(pipeline: Pipeline) -> dict[str, Any]:
    """The shape of housing_pipeline, or blocked."""
    return dag_runs.dag_of(dag_runs.usable(pipeline.found, FIRST_ENV), DAG_ID, FIRST_PARSE)
