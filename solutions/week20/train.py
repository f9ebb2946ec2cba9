"""Train the two Ames price models this week serves.

Run it from this folder, with the workspace virtual environment:

    python train.py

- models/linear.joblib: week 2's linear pipeline (scaling, one-hot encoding, LinearRegression)
  fed the 13 raw feature columns as a pandas DataFrame. model_server.py serves it.
- models/ames-numeric/model.joblib: a pipeline for KServe's scikit-learn runtime, which calls
  `model.predict(numpy.array(instances))`: rows of the eleven numeric columns, in the order
  NUMERIC lists them, with no names and no text. inferenceservice.yaml's storageUri points at a
  copy of this folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parent
RAW_DIR = HERE / "data" / "raw"
MODEL_FILE = HERE / "models" / "linear.joblib"
NUMERIC_FILE = HERE / "models" / "ames-numeric" / "model.joblib"
TARGET = "price"
# The eleven numeric columns, in the data's order: the order of every row the runtime gets.
NUMERIC = ["area", "lot_area", "overall_qual", "overall_cond", "year_built", "year_remod",
           "total_bsmt_sf", "bedrooms", "full_bath", "garage_cars", "fireplaces"]


def build_regressor() -> Pipeline:
    """Scale the numeric columns, one-hot encode the text columns, then fit a line."""
    prepare = ColumnTransformer(
        [
            ("numeric", StandardScaler(), make_column_selector(dtype_include="number")),
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore"),
                make_column_selector(dtype_exclude="number"),
            ),
        ]
    )
    return Pipeline([("prepare", prepare), ("model", LinearRegression())])


def rmse(truth: pd.Series, predicted: np.ndarray) -> float:
    return float(np.sqrt(mean_squared_error(truth, predicted)))


def train_full(train: pd.DataFrame, test: pd.DataFrame) -> None:
    model = build_regressor().fit(train.drop(columns=[TARGET]), train[TARGET])
    score = rmse(test[TARGET], model.predict(test.drop(columns=[TARGET])))
    MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, MODEL_FILE)
    print(f"Saved {MODEL_FILE.relative_to(HERE)}; test RMSE ${score:,.0f}")


def train_numeric(train: pd.DataFrame, test: pd.DataFrame) -> None:
    """The sklearn runtime's model: numbers in, in NUMERIC's order, no names."""
    model = Pipeline([("scale", StandardScaler()), ("model", LinearRegression())])
    model.fit(train[NUMERIC].to_numpy(), train[TARGET])
    score = rmse(test[TARGET], model.predict(test[NUMERIC].to_numpy()))
    NUMERIC_FILE.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, NUMERIC_FILE)
    print(f"Saved {NUMERIC_FILE.relative_to(HERE)}; test RMSE ${score:,.0f}")


def main() -> int:
    train = pd.read_csv(RAW_DIR / "train.csv")
    test = pd.read_csv(RAW_DIR / "test.csv")
    train_full(train, test)
    train_numeric(train, test)
    return 0


if __name__ == "__main__":
    sys.exit(main())
