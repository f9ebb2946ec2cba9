"""Tune the price model's regularisation and track every trial in MLflow.

Run it from this folder, with the workspace virtual environment:

    export MLFLOW_TRACKING_URI=sqlite:///mlflow.db   # or `source env.sh`
    python tune.py
    python tune.py --alpha 10 --add new_sales.csv   # refit one setting on the data plus a batch

One parent run holds a nested child run per Ridge alpha, each fitting train.py's pipeline on
data/raw/train.csv (and any --add batches, whose rows have the same columns, price
included) less a validation split (data/raw/test.csv stays untouched for the final
report) and logging its params, val_rmse and model. The parent records the best child (tag
best_run_id, metric best_val_rmse), whose model is registered as ames-price-tuned with the
alias champion.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parent
TARGET = "price"
TRAIN_CSV = HERE / "data" / "raw" / "train.csv"
DEFAULT_TRACKING_URI = f"sqlite:///{HERE / 'mlflow.db'}"
EXPERIMENT = "ames-price-tuning"
MODEL_NAME = "ames-price-tuned"
ALIAS = "champion"
ALPHAS = (0.1, 1.0, 10.0, 100.0)
SEED = 23


def build_pipeline(alpha: float, features: pd.DataFrame) -> Pipeline:
    """train.py's pipeline with Ridge(alpha) in place of the plain line."""
    # Columns by name, not make_column_selector as in train.py: MLflow saves scikit-learn
    # models with skops, which refuses to reload a column selector object.
    numeric = list(features.select_dtypes(include="number").columns)
    text = [c for c in features.columns if c not in numeric]
    prepare = ColumnTransformer(
        [
            ("numeric", StandardScaler(), numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), text),
        ]
    )
    return Pipeline([("prepare", prepare), ("model", Ridge(alpha=alpha))])


def trial(alpha: float, data: list[pd.DataFrame]) -> tuple[str, float]:
    """One nested run: the pipeline with Ridge(alpha) fitted and scored on the validation split."""
    x_fit, x_val, y_fit, y_val = data
    pipeline = build_pipeline(alpha, x_fit)
    with mlflow.start_run(run_name=f"ridge-alpha{alpha:g}", nested=True) as run:
        mlflow.log_params({"model": "ridge", "alpha": alpha})
        pipeline.fit(x_fit, y_fit)
        rmse = float(np.sqrt(mean_squared_error(y_val, pipeline.predict(x_val))))
        mlflow.log_metric("val_rmse", rmse)
        mlflow.sklearn.log_model(pipeline, name="model", input_example=x_fit.head(5))
    print(f"alpha {alpha:g}: validation RMSE ${rmse:,.0f} (run {run.info.run_id})")
    return run.info.run_id, rmse


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--add", action="append", default=[], metavar="CSV", help="a new labelled batch"
    )
    parser.add_argument(
        "--alpha", action="append", type=float, metavar="A", help=f"default: {ALPHAS}"
    )
    args = parser.parse_args()
    alphas = tuple(args.alpha or ALPHAS)
    batches = [pd.read_csv(TRAIN_CSV), *(pd.read_csv(path) for path in args.add)]
    train = pd.concat(batches, ignore_index=True)
    if args.add:
        print(f"training on {len(train)} rows: data/raw/train.csv + {', '.join(args.add)}")
    data = train_test_split(
        train.drop(columns=[TARGET]), train[TARGET], test_size=0.25, random_state=SEED
    )
    mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI)
    mlflow.set_experiment(EXPERIMENT)
    with mlflow.start_run(run_name="ridge-alpha-search"):
        mlflow.log_params({"model": "ridge", "alphas": ",".join(f"{a:g}" for a in alphas)})
        mlflow.log_params({"rows": len(train), "added": ",".join(args.add) or "none"})
        results = [trial(alpha, data) for alpha in alphas]
        best_run, best_rmse = min(results, key=lambda result: result[1])
        mlflow.set_tag("best_run_id", best_run)
        mlflow.log_metric("best_val_rmse", best_rmse)
    version = mlflow.register_model(f"runs:/{best_run}/model", MODEL_NAME)
    MlflowClient().set_registered_model_alias(MODEL_NAME, ALIAS, version.version)
    print(f"best: run {best_run}, {MODEL_NAME} version {version.version} is {ALIAS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
