"""Week 6: train the Ames price model, log the run to MLflow and register the model.

Run it from this folder, with the workspace virtual environment and env.sh sourced:

    source env.sh
    python train.py --model linear
    python train.py --model ridge --alpha 10

Each run trains a pipeline on data/raw/train.csv, scores it on data/raw/test.csv and logs to
the MLflow experiment "ames-housing" in the tracking store named by MLFLOW_TRACKING_URI
(mlflow.db in this folder when unset), as in week 5; its model also becomes a new version of
the registered model "ames-price". promote.py then decides which version is the champion.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parent
TRAIN_CSV = HERE / "data" / "raw" / "train.csv"
TEST_CSV = HERE / "data" / "raw" / "test.csv"
TARGET = "price"
EXPERIMENT = "ames-housing"
MODEL_NAME = "ames-price"
CATEGORICAL = ["neighborhood", "building_type"]
# The store this week folder uses unless MLFLOW_TRACKING_URI names another (see env.sh).
DEFAULT_TRACKING_URI = f"sqlite:///{HERE / 'mlflow.db'}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["linear", "ridge"], default="linear")
    parser.add_argument("--alpha", type=float, default=1.0, help="Ridge regularisation")
    return parser.parse_args(argv)


def load(path: Path) -> tuple[pd.DataFrame, pd.Series]:
    """The feature columns and the price of one CSV file."""
    df = pd.read_csv(path)
    return df.drop(columns=[TARGET]), df[TARGET]


def build_pipeline(model: str, alpha: float, numeric: list[str]) -> Pipeline:
    """Scale numbers, one-hot encode text, then a linear model on the price."""
    # Columns by name, not make_column_selector: MLflow saves sklearn models with skops,
    # which refuses to reload a column selector object.
    prepare = ColumnTransformer(
        [
            ("numeric", StandardScaler(), numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )
    regressor = Ridge(alpha=alpha) if model == "ridge" else LinearRegression()
    return Pipeline([("prepare", prepare), ("model", regressor)])


def git_commit() -> str:
    """The commit of the code being run, or 'unknown' outside a git repository."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=HERE, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    # Before the first commit `git rev-parse HEAD` prints "HEAD" and fails: no commit yet.
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def file_md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def scores(actual: pd.Series, predicted: np.ndarray) -> dict[str, float]:
    return {
        "rmse": float(np.sqrt(mean_squared_error(actual, predicted))),
        "mae": float(mean_absolute_error(actual, predicted)),
        "r2": float(r2_score(actual, predicted)),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    x_train, y_train = load(TRAIN_CSV)
    x_test, y_test = load(TEST_CSV)
    mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI)
    mlflow.set_experiment(EXPERIMENT)
    name = args.model if args.model == "linear" else f"ridge-alpha{args.alpha:g}"
    with mlflow.start_run(run_name=name) as run:
        mlflow.log_params(
            {"model": args.model, "alpha": args.alpha, "features": ",".join(x_train.columns)}
        )
        mlflow.set_tags({"git_commit": git_commit(), "data_md5": file_md5(TRAIN_CSV)})
        numeric = [c for c in x_train.columns if c not in CATEGORICAL]
        pipeline = build_pipeline(args.model, args.alpha, numeric).fit(x_train, y_train)
        metrics = scores(y_test, pipeline.predict(x_test))
        mlflow.log_metrics(metrics)
        info = mlflow.sklearn.log_model(
            pipeline,
            name="model",
            input_example=x_train.head(5),
            registered_model_name=MODEL_NAME,
        )
    print(
        f"run {run.info.run_id}: test RMSE ${metrics['rmse']:,.0f}, "
        f"{MODEL_NAME} version {info.registered_model_version}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
