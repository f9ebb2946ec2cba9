"""The API's own tests. Run them from the week folder (train first): python -m pytest -q"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import app

SAMPLE = json.loads((Path(__file__).parent / "sample_request.json").read_text())
HOUSE = SAMPLE["houses"][0]


@pytest.fixture
def client() -> Iterator[TestClient]:
    # `with` runs the lifespan (the model loads); raise_server_exceptions=False turns an
    # unhandled error into the 500 response a real client would get.
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_one_prediction_per_house(client: TestClient) -> None:
    response = client.post("/predict", json=SAMPLE)
    assert response.status_code == 200
    assert len(response.json()["predictions"]) == len(SAMPLE["houses"])


# TODO: a negative area, an unknown field, an unknown neighbourhood and an empty list of
#       houses each give 422, and the error names the field (response.json()["detail"]).
# TODO: a model whose predict raises gives a JSON 500 without a traceback: replace the
#       model for one test, e.g. monkeypatch.setattr(app.state, "model", Broken()).
