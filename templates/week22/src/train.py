"""Stage `train`: data/prepared/*.csv -> models/*.joblib and metrics.json, driven by params.yaml.

Run it from the week folder after src/prepare.py (`dvc repro` runs both in order):
`python src/train.py`. It is week 2's training, reading the `train` section of params.yaml:
    models/regressor.joblib   LinearRegression, or Ridge(alpha) when train.model is ridge
    models/classifier.joblib  LogisticRegression predicting expensive (price > 160000)
and their scores on data/prepared/test.csv in metrics.json: {"rmse": ..., "accuracy": ...}.
Every step is deterministic, so `dvc repro` on the same data and params gives the same metrics.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import yaml
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, mean_squared_error
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parent.parent  # the week folder
PREPARED_DIR = HERE / "data" / "prepared"
MODELS_DIR = HERE / "models"
METRICS_FILE = HERE / "metrics.json"
PARAMS_FILE = HERE / "params.yaml"
TARGET = "price"
EXPENSIVE_PRICE = 160_000  # a house is "expensive" when its price is above this


def load_params() -> dict:
    """The `train` section of params.yaml."""
    return yaml.safe_load(PARAMS_FILE.read_text(encoding="utf-8"))["train"]


def features_and_targets(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Split a table into the features, the price and the 0/1 expensive label."""
    features = df.drop(columns=[TARGET])
    price = df[TARGET]
    return features, price, (price > EXPENSIVE_PRICE).astype(int)


def preprocessor() -> ColumnTransformer:
    """Scale the numeric columns and one-hot encode the text columns."""
    return ColumnTransformer(
        [
            ("numeric", StandardScaler(), make_column_selector(dtype_include="number")),
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore"),
                make_column_selector(dtype_exclude="number"),
            ),
        ]
    )


def build_regressor(params: dict) -> Pipeline:
    """Preprocessing + the regression model params.yaml asks for."""
    kind = params["model"]
    if kind == "linear":
        model = LinearRegression()
    elif kind == "ridge":
        model = Ridge(alpha=float(params["alpha"]))
    else:
        raise SystemExit(f"params.yaml: train.model must be linear or ridge, not {kind!r}")
    return Pipeline([("prepare", preprocessor()), ("model", model)])


def build_classifier() -> Pipeline:
    """Preprocessing + logistic regression on the expensive label."""
    return Pipeline([("prepare", preprocessor()), ("model", LogisticRegression(max_iter=1000))])


def main() -> int:
    params = load_params()
    x_train, price_train, expensive_train = features_and_targets(
        pd.read_csv(PREPARED_DIR / "train.csv")
    )
    x_test, price_test, expensive_test = features_and_targets(
        pd.read_csv(PREPARED_DIR / "test.csv")
    )
    regressor = build_regressor(params).fit(x_train, price_train)
    classifier = build_classifier().fit(x_train, expensive_train)
    metrics = {
        "rmse": float(np.sqrt(mean_squared_error(price_test, regressor.predict(x_test)))),
        "accuracy": float(accuracy_score(expensive_test, classifier.predict(x_test))),
    }
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    joblib.dump(regressor, MODELS_DIR / "regressor.joblib")
    joblib.dump(classifier, MODELS_DIR / "classifier.joblib")
    METRICS_FILE.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(f"Trained on {len(x_train)} houses: test RMSE ${metrics['rmse']:,.0f}, "
          f"test accuracy {metrics['accuracy']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
