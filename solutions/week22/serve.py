"""The deployed model: models/regressor.joblib behind GET /health and POST /predict.

Run it from the week folder after `dvc repro`: uvicorn serve:app --port 8000
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
from fastapi import FastAPI

HERE = Path(__file__).resolve().parent
MODEL = joblib.load(HERE / "models" / "regressor.joblib")
METRICS = json.loads((HERE / "metrics.json").read_text(encoding="utf-8"))
app = FastAPI(title="housing model")


@app.get("/health")
def health() -> dict[str, Any]:
    return {"status": "ok", "test_rmse": METRICS["rmse"]}


@app.post("/predict")
def predict(houses: list[dict[str, Any]]) -> dict[str, list[float]]:
    return {"predictions": [float(p) for p in MODEL.predict(pd.DataFrame(houses))]}
