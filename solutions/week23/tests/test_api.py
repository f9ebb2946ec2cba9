"""The API's own tests. Run them from the week folder (train first): python -m pytest -q"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import token
from fastapi.testclient import TestClient

from app.main import app

SAMPLE = json.loads((Path(__file__).parent / "sample_request.json").read_text())
HOUSE = SAMPLE["houses"][0]


@pytest.fixture
def client() -> Iterator[TestClient]:
    # `with` runs the lifespan (the model loads); raise_server_exceptions=False turns an
    # unhandled error into the 500 response a real client would get.
    # Every request carries a valid token: the contract is tested as a caller sees it.
    headers = {"Authorization": f"Bearer {token('predict')}"}
    with TestClient(app, raise_server_exceptions=False, headers=headers) as c:
        yield c


def fields_named(response: Any) -> set[str]:
    """The last element of each failing location in a 422 answer."""
    return {str(error["loc"][-1]) for error in response.json()["detail"]}


def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_one_prediction_per_house(client: TestClient) -> None:
    response = client.post("/predict", json=SAMPLE)
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert len(predictions) == len(SAMPLE["houses"])
    assert all(50_000 < p < 500_000 for p in predictions)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"area": -5}, "area"),
        ({"overall_qual": 11}, "overall_qual"),
        ({"year_built": 3000}, "year_built"),
        ({"area": "big"}, "area"),
        ({"neighborhood": "Atlantis"}, "neighborhood"),
        ({"building_type": "Castle"}, "building_type"),
        ({"pool_area": 40}, "pool_area"),
    ],
)
def test_invalid_house_is_rejected(client: TestClient, change: dict[str, Any], field: str) -> None:
    response = client.post("/predict", json={"houses": [{**HOUSE, **change}]})
    assert response.status_code == 422
    assert field in fields_named(response)


def test_missing_field_is_named(client: TestClient) -> None:
    house = {k: v for k, v in HOUSE.items() if k != "area"}
    response = client.post("/predict", json={"houses": [house]})
    assert response.status_code == 422
    assert "area" in fields_named(response)


def test_empty_batch_is_rejected(client: TestClient) -> None:
    response = client.post("/predict", json={"houses": []})
    assert response.status_code == 422
    assert "houses" in fields_named(response)


class Broken:
    def predict(self, frame: Any) -> Any:
        raise RuntimeError("secret internals")


def test_internal_error_is_json_without_traceback(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.state, "model", Broken())
    response = client.post("/predict", json=SAMPLE)
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error"}
    assert "Traceback" not in response.text and "secret internals" not in response.text


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer not-a-token",
        f"Bearer {token('predict', secret=secrets.token_urlsafe(32))}",
        f"Bearer {token('predict', exp=1)}",
    ],
    ids=["no token", "garbage", "another secret", "expired"],
)
def test_callers_without_a_valid_token_get_401(
    client: TestClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization or ""}
    response = client.post("/predict", json=SAMPLE, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_without_the_scope_gets_403(client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {token('reports:read')}"}
    assert client.post("/predict", json=SAMPLE, headers=headers).status_code == 403
    assert client.post("/admin/reload").status_code == 403  # `predict` is not `admin`


def test_the_app_refuses_to_start_with_a_short_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", "short")
    with pytest.raises(RuntimeError, match="JWT_SECRET"), TestClient(app):
        pass
