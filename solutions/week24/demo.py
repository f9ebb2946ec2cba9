"""The capstone's demo: train the Ames price model on the course's data, score it, log it to
MLflow and register it, in well under a minute on a laptop.

    make demo        # or: python demo.py

Logs to MLFLOW_TRACKING_URI (sqlite:///mlflow.db in this folder when unset): one run of the
experiment "ames-price-demo" with the metrics rmse, mae and r2 on data/raw/test.csv, and the
fitted pipeline registered as the model "ames-price".
"""

from __future__ import annotations

import os
from pathlib import Path

import mlflow
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parent
TARGET = "price"
CATEGORICAL = ["neighborhood", "building_type"]
ALPHA = 10.0


def load(name: str) -> tuple[pd.DataFrame, pd.Series]:
    frame = pd.read_csv(HERE / "data" / "raw" / f"{name}.csv")
    return frame.drop(columns=[TARGET]), frame[TARGET]


def pipeline(numeric: list[str]) -> Pipeline:
    prepare = ColumnTransformer(
        [
            ("numeric", StandardScaler(), numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )
    return Pipeline([("prepare", prepare), ("model", Ridge(alpha=ALPHA))])


def main() -> None:
    mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI", f"sqlite:///{HERE / 'mlflow.db'}"))
    mlflow.set_experiment("ames-price-demo")
    x_train, y_train = load("train")
    x_test, y_test = load("test")
    model = pipeline([c for c in x_train.columns if c not in CATEGORICAL]).fit(x_train, y_train)
    predicted = model.predict(x_test)
    metrics = {
        "rmse": float(mean_squared_error(y_test, predicted) ** 0.5),
        "mae": float(mean_absolute_error(y_test, predicted)),
        "r2": float(r2_score(y_test, predicted)),
    }
    with mlflow.start_run(run_name="ridge-alpha-10"):
        mlflow.log_params({"model": "ridge", "alpha": ALPHA})
        mlflow.log_metrics(metrics)
        mlflow.sklearn.log_model(
            model, name="model", input_example=x_test.head(3), registered_model_name="ames-price"
        )
    print(", ".join(f"{k} {v:,.4f}" for k, v in metrics.items()))


if __name__ == "__main__":
    main()
