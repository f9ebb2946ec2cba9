"""Workflow Orchestration with Airflow (week07): preprocess >> train >> evaluate as an Airflow DAG.

Test it with: airflow dags test housing_pipeline
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, task

WEEK = Path(__file__).resolve().parents[1]  # the week folder, whatever the working directory
RAW, PREPARED = WEEK / "data" / "raw", WEEK / "data" / "prepared"
MODEL = WEEK / "models" / "model.joblib"
METRICS = WEEK / "data" / "metrics.json"
TARGET = "price"
CATEGORICAL = ["neighborhood", "building_type"]

with DAG(
    dag_id="housing_pipeline",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    params={
        "alpha": Param(1.0, type="number", minimum=0, description="Ridge regularisation"),
        "max_rmse": Param(40_000, type="number", description="evaluate fails above this RMSE"),
    },
    tags=["mlops-roadmap", "week07"],
):

    @task
    def preprocess() -> str:
        """Read data/raw/*.csv, write cleaned copies to data/prepared/, return that folder."""
        import pandas as pd  # heavy imports inside tasks keep parsing fast

        PREPARED.mkdir(parents=True, exist_ok=True)
        for name in ("train.csv", "test.csv"):
            frame = pd.read_csv(RAW / name)
            for column in CATEGORICAL:
                frame[column] = frame[column].astype(str).str.strip()
            if name == "train.csv":  # never drop test rows: the score must cover them all
                frame = frame.dropna().drop_duplicates()
            frame.to_csv(PREPARED / name, index=False)  # overwritten on every run
        return str(PREPARED)

    @task(execution_timeout=timedelta(minutes=10))
    def train(prepared: str, params: dict[str, Any] | None = None) -> str:
        """Fit a ridge pipeline on prepared/train.csv, save it, return its path."""
        import joblib
        import pandas as pd
        from sklearn.compose import ColumnTransformer
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        frame = pd.read_csv(Path(prepared) / "train.csv")
        features = frame.drop(columns=[TARGET])
        numeric = [c for c in features.columns if c not in CATEGORICAL]
        pipeline = Pipeline(
            [
                (
                    "prepare",
                    ColumnTransformer(
                        [
                            ("numeric", StandardScaler(), numeric),
                            ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
                        ]
                    ),
                ),
                ("model", Ridge(alpha=float((params or {}).get("alpha", 1.0)))),
            ]
        )
        pipeline.fit(features, frame[TARGET])
        MODEL.parent.mkdir(parents=True, exist_ok=True)
        partial = MODEL.with_suffix(".tmp")
        joblib.dump(pipeline, partial)
        partial.replace(MODEL)  # a rerun replaces the model whole, never half-written
        return str(MODEL)

    @task
    def evaluate(model_path: str, prepared: str, params: dict[str, Any] | None = None) -> float:
        """Score the model on prepared/test.csv, write data/metrics.json, return the RMSE;
        fail when the RMSE is above the max_rmse param (the gate)."""
        import json

        import joblib
        import numpy as np
        import pandas as pd

        frame = pd.read_csv(Path(prepared) / "test.csv")
        predicted = joblib.load(model_path).predict(frame.drop(columns=[TARGET]))
        rmse = float(np.sqrt(np.mean((frame[TARGET].to_numpy() - predicted) ** 2)))
        METRICS.write_text(json.dumps({"rmse": rmse, "rows": len(frame)}, indent=2) + "\n")
        limit = float((params or {}).get("max_rmse", 40_000))
        if rmse > limit:
            raise ValueError(f"test RMSE {rmse:,.0f} is above max_rmse {limit:,.0f}")
        return rmse

    prepared_dir = preprocess()
    evaluate(train(prepared_dir), prepared_dir)
