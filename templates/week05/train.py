"""Week 5: train the Ames price model and log every run to MLflow.

Run it from this folder, with the workspace virtual environment and env.sh sourced:

    source env.sh
    python train.py --model linear
    python train.py --model ridge --alpha 10

It already trains the week 2 regression pipeline on data/raw/train.csv and scores it on
data/raw/test.csv. When you are done, each run also logs to the MLflow experiment
"ames-housing" in the tracking store named by MLFLOW_TRACKING_URI (mlflow.db in this folder
when unset): its parameters, the metrics rmse, mae and r2, the tags git_commit and data_md5,
and the fitted pipeline as a logged model.

Work through the TODOs in order; README.md explains each step.
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
    # TODO 1: point MLflow at the tracking store and the experiment, before any run:
    #   mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI)
    #   mlflow.set_experiment(EXPERIMENT)
    # TODO 2: do all that follows inside `with mlflow.start_run(run_name=...) as run:`, so
    #         that the run ends (FINISHED, or FAILED on an error) whatever happens.
    # TODO 3: log the parameters model, alpha and features (",".join(x_train.columns)) with
    #         mlflow.log_params, and the tags git_commit (git_commit()) and data_md5
    #         (file_md5(TRAIN_CSV)) with mlflow.set_tags.
    numeric = [c for c in x_train.columns if c not in CATEGORICAL]
    pipeline = build_pipeline(args.model, args.alpha, numeric).fit(x_train, y_train)
    metrics = scores(y_test, pipeline.predict(x_test))
    # TODO 4: log the metrics with mlflow.log_metrics(metrics).
    # TODO 5: log the fitted pipeline, with an input example from which MLflow infers the
    #         signature: mlflow.sklearn.log_model(pipeline, name="model",
    #         input_example=x_train.head(5)); print the run id and the model's URI.
    print(f"{args.model}: test RMSE ${metrics['rmse']:,.0f} (not logged to MLflow yet)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
