"""Week 16: the Ames price API, behind bearer tokens.

Run it from the week folder, with the secrets in the environment (see .env.example):

    set -a; source .env; set +a
    python train.py                      # once: makes models/linear.joblib
    uvicorn app.main:app --port 8000

GET /health is open; POST /predict needs a token with the `predict` scope and POST
/admin/reload one with the `admin` scope (app/security.py; tools/mint_token.py makes tokens).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import joblib
import pandas as pd
from fastapi import Depends, FastAPI, Request, Response

from app.privacy import pseudonym, pseudonym_key
from app.schemas import PredictRequest, PredictResponse
from app.security import Caller, jwt_secret, require

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
logger = logging.getLogger("ames.api")
MODEL_PATH = Path(os.environ.get("MODEL_PATH", "models/linear.joblib"))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    jwt_secret()  # a missing secret stops the start-up, not the first request
    pseudonym_key()
    app.state.model = joblib.load(MODEL_PATH)
    yield


app = FastAPI(title="Ames price API", lifespan=lifespan)


@app.middleware("http")
async def access_log(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    # Method, path and status only: headers carry the bearer token, bodies may carry more.
    logger.info("%s %s -> %d", request.method, request.url.path, response.status_code)
    return response


@app.get("/health")
def health(request: Request) -> dict[str, str]:
    """Open to load balancers, and reveals nothing about callers or secrets."""
    return {"status": "ok" if getattr(request.app.state, "model", None) else "loading"}


@app.post("/predict", response_model=PredictResponse)
def predict(
    body: PredictRequest, request: Request, caller: Caller = Depends(require("predict"))
) -> PredictResponse:
    frame = pd.DataFrame([house.model_dump() for house in body.houses])
    predictions = [float(v) for v in request.app.state.model.predict(frame)]
    # The audit log tells callers apart by pseudonym: no e-mail address in the logs.
    logger.info("predicted %d prices for caller %s", len(predictions), pseudonym(caller.subject))
    return PredictResponse(predictions=predictions)


@app.post("/admin/reload")
def reload_model(request: Request, caller: Caller = Depends(require("admin"))) -> dict[str, str]:
    """Load models/linear.joblib again (after `python train.py`), without a restart."""
    request.app.state.model = joblib.load(MODEL_PATH)
    logger.info("model reloaded from %s by caller %s", MODEL_PATH, pseudonym(caller.subject))
    return {"status": "reloaded"}
