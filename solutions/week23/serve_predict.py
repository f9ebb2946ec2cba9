"""Serve the registered champion and ask it for prices over HTTP, as a client would.

Run it from this folder, with the workspace virtual environment (`make e2e` does):

    export MLFLOW_TRACKING_URI=sqlite:///mlflow.db
    python serve_predict.py BATCH.csv [--port 8000] [--houses 5]

It loads the model registered as ames-price-tuned with the alias champion, saves it where the
API loads its model (models/champion.joblib), starts the API under uvicorn on the port (a free
one when none is given), sends the first houses of BATCH.csv (features only) to POST /predict
with an Authorization: Bearer token (HS256, week 16's) signed with JWT_SECRET, or with a
secret made for this run when none is set, writes what it sent and what came back to
reports/e2e.json, and stops the API.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import joblib
import mlflow
import pandas as pd
from mlflow import MlflowClient

HERE = Path(__file__).resolve().parent
MODEL_NAME = "ames-price-tuned"
ALIAS = "champion"
SERVED = HERE / "models" / "champion.joblib"
REPORT = HERE / "reports" / "e2e.json"
TARGET = "price"
START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(secret: str, minutes: int = 10) -> str:
    """An HS256 JSON Web Token, as week 16's API checks them (PyJWT makes the same): who calls,
    what it may do, when it was issued and when it expires."""
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    now = int(time.time())
    payload = {"sub": "e2e@example.com", "scope": "predict", "iat": now, "exp": now + minutes * 60}
    claims = b64(json.dumps(payload).encode())
    signed = f"{header}.{claims}".encode()
    signature = b64(hmac.new(secret.encode(), signed, hashlib.sha256).digest())
    return f"{header}.{claims}.{signature}"


def request(url: str, body: dict[str, Any] | None = None) -> Any:
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {token(os.environ['JWT_SECRET'])}",
    }
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as response:
        return json.load(response)


def wait_healthy(url: str, api: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if api.poll() is not None:
            raise SystemExit(f"the API exited with status {api.returncode} before it was ready")
        try:
            request(f"{url}/health")
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.3)
    raise SystemExit(f"the API did not answer {url}/health within {START_TIMEOUT} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("batch", help="the new batch: houses to price (price column ignored)")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--houses", type=int, default=5)
    args = parser.parse_args()

    version = MlflowClient().get_model_version_by_alias(MODEL_NAME, ALIAS).version
    model = mlflow.sklearn.load_model(f"models:/{MODEL_NAME}@{ALIAS}")
    SERVED.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, SERVED)
    houses = pd.read_csv(args.batch).drop(columns=[TARGET], errors="ignore").head(args.houses)

    # The API and this client share the secret: the environment's, else one for this run only.
    os.environ["JWT_SECRET"] = os.environ.get("JWT_SECRET") or secrets.token_hex(32)
    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MODEL_PATH": str(SERVED), "MODEL_VERSION": str(version)}
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)]
    api = subprocess.Popen(command, cwd=HERE, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_healthy(url, api)
        answer = request(f"{url}/predict", {"houses": houses.to_dict(orient="records")})
    finally:
        api.terminate()
        try:
            api.wait(timeout=15)
        except subprocess.TimeoutExpired:
            api.kill()
            api.wait()
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "model": MODEL_NAME,
        "version": str(version),
        "url": f"{url}/predict",
        "houses": houses.to_dict(orient="records"),
        "predictions": answer["predictions"],
        "model_version": answer["model_version"],
    }
    REPORT.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    prices = ", ".join(f"${p:,.0f}" for p in answer["predictions"])
    print(f"{MODEL_NAME} version {version} served on {url}: {prices}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
