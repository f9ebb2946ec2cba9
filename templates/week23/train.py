"""Train the Ames price model the API serves (week 2's linear pipeline, finished).

Run it from this folder, with the workspace virtual environment:

    python train.py

It fits a scikit-learn Pipeline (scaling, one-hot encoding, LinearRegression) on
data/raw/train.csv, fed the raw feature columns as a pandas DataFrame (every column except
price), saves it as models/linear.joblib and prints its RMSE on data/raw/test.csv.
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
TARGET = "price"


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


def main() -> int:
    train = pd.read_csv(RAW_DIR / "train.csv")
    test = pd.read_csv(RAW_DIR / "test.csv")
    model = build_regressor().fit(train.drop(columns=[TARGET]), train[TARGET])
    predicted = model.predict(test.drop(columns=[TARGET]))
    rmse = float(np.sqrt(mean_squared_error(test[TARGET], predicted)))
    MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, MODEL_FILE)
    print(f"Saved {MODEL_FILE.relative_to(HERE)}; test RMSE ${rmse:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
