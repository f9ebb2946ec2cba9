"""Week 16: train the Ames price model the API serves (the week 2 linear pipeline).

Run it from this folder, with the workspace virtual environment:

    python train.py

It trains on data/raw/train.csv (house features only: no personal data goes near the model),
prints the RMSE on data/raw/test.csv and saves models/linear.joblib.
"""

from __future__ import annotations

import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parent
RAW_DIR = HERE / "data" / "raw"
MODEL_PATH = HERE / "models" / "linear.joblib"
TARGET = "price"


def build_regressor() -> Pipeline:
    """Scale the numeric columns, one-hot encode the text columns, then a linear regression."""
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
    errors = model.predict(test.drop(columns=[TARGET])) - test[TARGET]
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, MODEL_PATH)
    print(f"Saved {MODEL_PATH}; test RMSE ${float(np.sqrt(np.mean(errors**2))):,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
