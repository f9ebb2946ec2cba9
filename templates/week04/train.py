"""Week 2: predict house prices in Ames with scikit-learn pipelines.

Run it from this folder, with the workspace virtual environment:

    python train.py

It trains two pipelines on data/raw/train.csv, both fed the raw feature columns as a
pandas DataFrame (every column except price):
    models/linear.joblib     LinearRegression predicting price
    models/logistic.joblib   LogisticRegression predicting expensive (1 when price > 160000)
and writes their scores on data/raw/test.csv to metrics.json: {"rmse": ..., "accuracy": ...}.
It only reads data/raw/.
"""

# NEW(week04): the week 2 training, unchanged but for where metrics.json goes: models/, next
# to the models, so that the script reads only data/raw/ and writes only models/, the two
# folders mounted into the training container. Run it from this folder with the workspace
# virtual environment (`python train.py`) or in the training image.

from __future__ import annotations

import json
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, mean_squared_error
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parent
RAW_DIR = HERE / "data" / "raw"
MODELS_DIR = HERE / "models"
METRICS_FILE = MODELS_DIR / "metrics.json"  # NEW(week04): every output in the mounted folder
TARGET = "price"
EXPENSIVE_PRICE = 160_000  # a house is "expensive" when its price is above this


def load_split(name: str) -> pd.DataFrame:
    """Read data/raw/<name>.csv."""
    return pd.read_csv(RAW_DIR / f"{name}.csv")


def features_and_targets(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Split a table into the features, the price and the 0/1 expensive label."""
    features = df.drop(columns=[TARGET])
    price = df[TARGET]
    expensive = (price > EXPENSIVE_PRICE).astype(int)
    return features, price, expensive


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


def build_regressor() -> Pipeline:
    """Preprocessing + linear regression on the price."""
    return Pipeline([("prepare", preprocessor()), ("model", LinearRegression())])


def build_classifier() -> Pipeline:
    """Preprocessing + logistic regression on the expensive label."""
    return Pipeline([("prepare", preprocessor()), ("model", LogisticRegression(max_iter=1000))])


def rmse(actual: pd.Series, predicted: np.ndarray) -> float:
    """Root mean squared error, in dollars."""
    return float(np.sqrt(mean_squared_error(actual, predicted)))


def save(model: Pipeline, name: str) -> Path:
    """Save a fitted pipeline as models/<name>.joblib."""
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    path = MODELS_DIR / f"{name}.joblib"
    joblib.dump(model, path)
    return path


def main() -> int:
    x_train, price_train, expensive_train = features_and_targets(load_split("train"))
    x_test, price_test, expensive_test = features_and_targets(load_split("test"))
    regressor = build_regressor().fit(x_train, price_train)
    classifier = build_classifier().fit(x_train, expensive_train)
    metrics = {
        "rmse": rmse(price_test, regressor.predict(x_test)),
        "accuracy": float(accuracy_score(expensive_test, classifier.predict(x_test))),
    }
    print(f"Saved {save(regressor, 'linear')} and {save(classifier, 'logistic')}")
    METRICS_FILE.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(f"Test RMSE ${metrics['rmse']:,.0f}, test accuracy {metrics['accuracy']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
