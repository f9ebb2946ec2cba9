"""Check the retraining triggers on a new batch, retrain only when one fires.

Test: airflow dags test housing_retrain
      airflow dags test housing_retrain -c '{"batch": "data/batches/batch_shifted.csv"}'
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, task

WEEK = Path(__file__).resolve().parents[1]
REFERENCE = WEEK / "data" / "raw" / "train.csv"  # the champion's training data
CHAMPION = WEEK / "models" / "champion.joblib"
DECISIONS = WEEK / "data" / "decisions.jsonl"

with DAG(
    dag_id="housing_retrain",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "batch": Param("data/batches/batch_stable.csv", type="string"),
        "alpha": Param(1.0, type="number", minimum=0, description="the candidate's Ridge alpha"),
    },
    tags=["mlops-roadmap"],
):

    @task.branch
    def check_triggers(params: dict[str, Any] | None = None) -> str:
        """Return "retrain" when a trigger in retrain_policy.yaml fires (or there is no
        champion yet), else "skip"."""
        # TODO: read the policy (yaml.safe_load), the reference (training) data and the batch
        #       (WEEK / params["batch"]); compute PSI per numeric feature and the RMSE of the
        #       champion on the batch; record the statistics and return the task_id to follow
        return "skip"

    @task
    def retrain(params: dict[str, Any] | None = None) -> str:
        """Train a candidate on reference + batch (the first champion on the reference alone);
        return the candidate's model path."""
        raise NotImplementedError("retrain")

    @task
    def promote(candidate: str) -> None:
        """Compare candidate and champion on the fixed holdout; promote only on a win."""
        raise NotImplementedError("promote")

    @task
    def skip() -> None:
        print("no trigger fired: the champion stays")

    # TODO: record every decision (trigger, statistics, outcome) in data/decisions.jsonl
    candidate = retrain()
    check_triggers() >> [candidate, skip()]
    promote(candidate)
