"""Week 6: send test rows to the served champion and compare with local predictions.

Start the server first, in another terminal of this folder:

    source env.sh
    mlflow models serve -m "models:/ames-price@champion" -p 5001 --env-manager local

then run `python client.py`. It posts the first ten rows of data/raw/test.csv to
$SERVING_URL/invocations (http://127.0.0.1:5001 when unset), prints the predictions, and
compares them with models:/ames-price@champion loaded here: exit status 1 when they differ.

Work through the TODO; README.md explains each step.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
TEST_CSV = HERE / "data" / "raw" / "test.csv"
MODEL_URI = "models:/ames-price@champion"
DEFAULT_TRACKING_URI = f"sqlite:///{HERE / 'mlflow.db'}"
URL = os.environ.get("SERVING_URL", "http://127.0.0.1:5001").rstrip("/") + "/invocations"


def predict_remote(rows: pd.DataFrame) -> list[float]:
    body = json.dumps({"dataframe_split": rows.to_dict(orient="split", index=False)}).encode()
    request = urllib.request.Request(URL, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return [float(v) for v in json.load(response)["predictions"]]


def main() -> int:
    rows = pd.read_csv(TEST_CSV).drop(columns="price").head(10)
    remote = predict_remote(rows)
    print(json.dumps(remote, indent=2))
    mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI)
    # TODO: load MODEL_URI here with mlflow.pyfunc.load_model, predict the same rows, print
    #       the largest absolute difference from the server's answers (it should be about 0)
    #       and return 1 when it is not.
    return 0


if __name__ == "__main__":
    sys.exit(main())
