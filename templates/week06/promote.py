"""Week 6: point the alias `champion` at the registered version with the lowest test RMSE.

Run it from this folder after `source env.sh`:

    python promote.py

It scores every version of the registered model ames-price on data/raw/test.csv itself (a
decision made by evidence, not by the numbers someone logged), moves the alias champion to
the best version and tags that version with its test_rmse. It is idempotent: when the
champion is already (one of) the best, it changes nothing.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

HERE = Path(__file__).resolve().parent
TEST_CSV = HERE / "data" / "raw" / "test.csv"
TARGET = "price"
MODEL_NAME = "ames-price"
ALIAS = "champion"
DEFAULT_TRACKING_URI = f"sqlite:///{HERE / 'mlflow.db'}"


def rmse(actual: pd.Series, predicted: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(actual) - np.asarray(predicted)) ** 2)))


def score_versions(
    client: MlflowClient, x_test: pd.DataFrame, y_test: pd.Series
) -> dict[str, float]:
    """Test RMSE of every registered version, by version number."""
    scores: dict[str, float] = {}
    # TODO 1: for each version in client.search_model_versions(f"name='{MODEL_NAME}'"), load
    #         f"models:/{MODEL_NAME}/{version.version}" with mlflow.pyfunc.load_model and store
    #         rmse(y_test, model.predict(x_test)) in scores[str(version.version)].
    return scores


def current_champion(client: MlflowClient) -> str | None:
    try:
        return str(client.get_model_version_by_alias(MODEL_NAME, ALIAS).version)
    except MlflowException:
        return None


def main() -> int:
    mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI)
    client = MlflowClient()
    test = pd.read_csv(TEST_CSV)
    scores = score_versions(client, test.drop(columns=[TARGET]), test[TARGET])
    if len(scores) < 2:
        print(f"{MODEL_NAME} has {len(scores)} version(s): register at least two", file=sys.stderr)
        return 1
    for version, score in sorted(scores.items(), key=lambda item: int(item[0])):
        print(f"version {version}: test RMSE ${score:,.2f}")
    best = min(scores, key=scores.__getitem__)
    current = current_champion(client)
    if current in scores and math.isclose(scores[current], scores[best], rel_tol=1e-9):
        print(f"{ALIAS} stays on version {current}: nothing to change")
        return 0
    # TODO 2: point the alias at the best version with
    #         client.set_registered_model_alias(MODEL_NAME, ALIAS, best), tag that version with
    #         client.set_model_version_tag(MODEL_NAME, best, "test_rmse", f"{scores[best]:.2f}")
    #         and print what changed.
    print(f"TODO 2: move {ALIAS} from version {current} to version {best}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
