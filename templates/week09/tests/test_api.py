"""Run from the week folder: python -m pytest -q"""
import pytest
from fastapi.testclient import TestClient

from app.main import app

HOUSE = {"area": 1656, "lot_area": 31770, "overall_qual": 6, "overall_cond": 5,
         "year_built": 1960, "year_remod": 1960, "total_bsmt_sf": 1080, "bedrooms": 3,
         "full_bath": 1, "garage_cars": 2, "fireplaces": 2, "neighborhood": "NAmes",
         "building_type": "1Fam"}


@pytest.fixture
def client():
    # `with` runs the lifespan (model loading); unhandled errors become 500 responses
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_health(client):
    assert client.get("/health").json()["status"] == "ok"


def test_negative_area_is_rejected(client):
    r = client.post("/predict", json={"houses": [{**HOUSE, "area": -5}]})
    assert r.status_code == 422


# TODO: a valid batch returns one prediction per house
# TODO: an unknown field, an unknown neighbourhood and an empty list all give 422
# TODO: a model that raises gives a JSON 500 without a traceback (monkeypatch app.state.model)
