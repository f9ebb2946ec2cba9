"""MLflow Tracking inside Airflow DAGs (week08): train, log to MLflow, gate on the champion,
register.

The tracking store comes from MLFLOW_TRACKING_URI in the environment of every Airflow process
(env.sh), or else from the Airflow Variable mlflow_tracking_uri; never from a literal here.
Try a bad model: airflow dags test housing_mlflow -c '{"alpha": 1e6}'
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, Variable, get_current_context, task

WEEK = Path(__file__).resolve().parents[1]
RAW = WEEK / "data" / "raw"
EXPERIMENT = "ames-housing-airflow"
MODEL_NAME, ALIAS = "ames-price", "champion"
TARGET = "price"
CATEGORICAL = ["neighborhood", "building_type"]


def tracking_uri() -> str:
    """The tracking store: the environment's, else the Airflow Variable's."""
    return os.environ.get("MLFLOW_TRACKING_URI") or Variable.get("mlflow_tracking_uri")


def test_rmse(model_uri: str) -> float:
    """A logged model's RMSE on data/raw/test.csv: the same data for every model."""
    import mlflow
    import numpy as np
    import pandas as pd

    test = pd.read_csv(RAW / "test.csv")
    predicted = mlflow.pyfunc.load_model(model_uri).predict(test.drop(columns=[TARGET]))
    return float(np.sqrt(np.mean((test[TARGET].to_numpy() - predicted) ** 2)))


with DAG(
    dag_id="housing_mlflow",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 1},
    params={
        "alpha": Param(1.0, type="number", minimum=0, description="Ridge regularisation"),
        "min_improvement": Param(0.0, type="number", description="relative RMSE gain needed"),
    },
    tags=["mlops-roadmap", "week08"],
):

    @task
    def train(params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Fit on data/raw/train.csv inside an MLflow run tagged with the Airflow ids; return
        the run id, the model's URI and its test RMSE (ids and numbers only)."""
        import mlflow
        import pandas as pd
        from sklearn.compose import ColumnTransformer
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        alpha = float((params or {}).get("alpha", 1.0))
        context = get_current_context()
        mlflow.set_tracking_uri(tracking_uri())
        mlflow.set_experiment(EXPERIMENT)
        frame = pd.read_csv(RAW / "train.csv")
        features = frame.drop(columns=[TARGET])
        numeric = [c for c in features.columns if c not in CATEGORICAL]
        prepare = ColumnTransformer(
            [
                ("numeric", StandardScaler(), numeric),
                ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ]
        )
        pipeline = Pipeline([("prepare", prepare), ("model", Ridge(alpha=alpha))])
        run_id = context["dag_run"].run_id
        with mlflow.start_run(run_name=f"airflow-{run_id}") as run:
            mlflow.set_tags({"airflow_dag_id": context["dag"].dag_id, "airflow_run_id": run_id})
            mlflow.log_params({"model": "ridge", "alpha": alpha})
            pipeline.fit(features, frame[TARGET])
            info = mlflow.sklearn.log_model(pipeline, name="model", input_example=features.head(5))
            rmse = test_rmse(info.model_uri)
            mlflow.log_metric("rmse", rmse)
        return {"run_id": run.info.run_id, "model_uri": info.model_uri, "rmse": rmse}

    @task
    def evaluate(candidate: dict[str, Any], params: dict[str, Any] | None = None) -> bool:
        """True when the candidate beats the current champion on the same test data."""
        import mlflow
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        mlflow.set_tracking_uri(tracking_uri())
        try:
            champion = MlflowClient().get_model_version_by_alias(MODEL_NAME, ALIAS)
        except MlflowException:
            return True  # no champion yet: the first model wins
        champion_rmse = test_rmse(f"models:/{MODEL_NAME}/{champion.version}")
        margin = float((params or {}).get("min_improvement", 0.0))
        return bool(candidate["rmse"] < champion_rmse * (1 - margin))

    @task.branch
    def gate(wins: bool) -> str | None:
        """Follow register only when the candidate wins (it shows as skipped otherwise)."""
        return "register" if wins else None

    @task
    def register(candidate: dict[str, Any]) -> str:
        """Register the candidate as a new version and point the alias at it."""
        import mlflow
        from mlflow import MlflowClient

        mlflow.set_tracking_uri(tracking_uri())
        version = mlflow.register_model(candidate["model_uri"], MODEL_NAME)
        MlflowClient().set_registered_model_alias(MODEL_NAME, ALIAS, version.version)
        return str(version.version)

    candidate = train()
    gate(evaluate(candidate)) >> register(candidate)
