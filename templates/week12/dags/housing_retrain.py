"""Check the retraining triggers on a new batch, retrain only when one fires.

Test: airflow dags test housing_retrain   (set BATCH below or pass it as a DAG param)
"""
from datetime import datetime
from pathlib import Path

from airflow.sdk import DAG, task

WEEK = Path(__file__).resolve().parents[1]
BATCH = WEEK / "data" / "batches" / "batch_stable.csv"   # try batch_shifted.csv too

with DAG(dag_id="housing_retrain", schedule=None, start_date=datetime(2026, 1, 1),
         catchup=False, tags=["mlops-roadmap"]):

    @task.branch
    def check_triggers() -> str:
        """Return "retrain" when a trigger in retrain_policy.yaml fires, else "skip"."""
        # TODO: read the policy (yaml.safe_load), the reference (training) data and BATCH;
        #       compute PSI per numeric feature and the RMSE of the champion on BATCH;
        #       log the statistics and return the task_id to follow
        return "skip"

    @task
    def retrain() -> str:
        """Train a candidate on reference + batch; return the candidate's model path."""
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
