"""Week 4: serve the house-price model over HTTP.

Run it from this folder, with the workspace virtual environment or in the serving image:

    uvicorn serve:app --host 127.0.0.1 --port 8000

GET /health answers {"status": "ok"} (the model loads when the server starts, so a server
that answers is ready). POST /predict takes a JSON list of houses, each with the feature
columns of data/raw/*.csv (everything but price), and answers {"predictions": [...]}: one
price in dollars per house. The model is models/linear.joblib next to this file, or the
file named by $MODEL_PATH. Input validation comes in week 9.
"""

import os
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
from fastapi import FastAPI, HTTPException

MODEL_PATH = Path(os.environ.get("MODEL_PATH", Path(__file__).resolve().parent / "models" / "linear.joblib"))

model = joblib.load(MODEL_PATH)
app = FastAPI(title="Ames house prices")


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/predict")
def predict(houses: list[dict[str, Any]]) -> dict[str, list[float]]:
    try:
        prices = model.predict(pd.DataFrame(houses))
    except (KeyError, ValueError, TypeError) as exc:
        raise HTTPException(status_code=400, detail=f"cannot predict: {exc}") from exc
    return {"predictions": [float(price) for price in prices]}
