"""Week 9: the app trains, starts, answers /health honestly and serves the model's own
predictions, for every real house of the data set.

The model is trained and the app started once (the `app_run` fixture); the expected prices
come from the learner's saved model, loaded in the learner's interpreter. The real houses are
the 2,923 sales of the course's Ames data (their features only), sent in batches of 1,000, the
most the lesson allows in one request.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from conftest import RealHouses

from mlops_checks import api, api_checks, contract_checks
from mlops_checks.contract_checks import REL_TOL, expect_model, mismatches, predictions_of
from mlops_roadmap.checking import expect, expect_none, fail

BATCH = 1000  # the most houses the lesson allows in one request
EXAMPLES = 3  # rejected houses named in a message
# Room for training (240 s at most) and the app's start (60 s), whichever check starts them.
pytestmark = pytest.mark.timeout(420)
test_training = api_checks.test_training  # the shared check, collected here in this order


@pytest.mark.points(2)
def test_app_starts(app_run: api.AppRun, request: pytest.FixtureRequest) -> None:
    """The app starts under uvicorn and GET /health answers 200"""
    api.check_started(app_run, lambda: request.getfixturevalue("http"))


test_predictions_match_model = contract_checks.test_predictions_match_model  # shared


def refused(http: api.Http, houses: list[dict[str, Any]]) -> Any:
    """The answer to POST /predict with these houses, or None when it is a 200."""
    response = http.post("/predict", json={"houses": houses})
    return None if response.status_code == 200 else response


def rejected_houses(
    http: api.Http, houses: list[dict[str, Any]], first: int
) -> list[tuple[int, Any]]:
    """Up to EXAMPLES (number, answer) of houses[first:first + BATCH] refused alone, found by
    halving the batch."""
    found: list[tuple[int, Any]] = []
    stack = [list(range(first, min(first + BATCH, len(houses))))]
    while stack and len(found) < EXAMPLES:
        part = stack.pop(0)
        answer = refused(http, [houses[i] for i in part])
        if answer is None:
            continue
        if len(part) == 1:
            found.append((part[0], answer))
        else:
            stack[:0] = [part[: len(part) // 2], part[len(part) // 2 :]]
    return found


def why(house: dict[str, Any], answer: Any, real: RealHouses) -> str:
    """A refused house: the fields its answer names, with the house's values and the data's."""
    fields = tuple(house)
    named = [f for f in fields if api.field_named(answer.text, f, fields)]
    values = ", ".join(
        f"{f} {house[f]}" + (f" (the data: {real.ranges[f][0]} to {real.ranges[f][1]})"
                             if f in real.ranges else "")
        for f in named
    )  # fmt: skip
    return f"status {answer.status_code}" + (f" naming {values}" if values else "")


def refused_problems(http: api.Http, real: RealHouses, batches: list[int]) -> list[str]:
    """What the refused batches hold: each refused edge house, else a few refused houses."""
    out: list[str] = []
    for what, house in real.edges:
        answer = refused(http, [house])
        if answer is not None and len(out) < EXAMPLES:
            out.append(f"the house with {what}: {why(house, answer, real)}")
    if not out:
        for number, answer in rejected_houses(http, real.houses, batches[0] * BATCH):
            house = real.houses[number]
            out.append(f"house {number + 1} {json.dumps(house)}: {why(house, answer, real)}")
    if not out:
        size = len(real.houses[batches[0] * BATCH :][:BATCH])
        out.append(
            f"a batch of {size:,} real houses is refused although each of its halves is "
            "accepted: the batch limit is too low"
        )
    return out


@pytest.mark.points(2)
def test_real_houses_accepted(
    http: api.Http, real_houses: RealHouses, real_predictions: dict[str, Any]
) -> None:
    """Every real house of the Ames data, its edges included, gets the model's own price"""
    expected = expect_model(real_predictions)
    houses = real_houses.houses
    refused_batches, wrong = [], []
    for number, start in enumerate(range(0, len(houses), BATCH)):
        response = http.post("/predict", json={"houses": houses[start : start + BATCH]})
        got = predictions_of(response) if response.status_code == 200 else None
        if got is None or len(got) != len(houses[start : start + BATCH]):
            refused_batches.append(number)
            continue
        wrong += mismatches(got, expected[start : start + BATCH], start)
    total = f"{real_houses.real:,} houses of the course's Ames data"
    if refused_batches:
        fail(
            expected=f"POST /predict to accept all {total} (in batches of {BATCH:,}, the "
            "lesson's limit), their smallest and largest values of every feature and every "
            "category included, and the ends of the 1-10 quality and condition scales",
            found=f"{len(refused_batches)} of {math.ceil(len(houses) / BATCH)} batches refused; "
            + "; ".join(refused_problems(http, real_houses, refused_batches)),
            hint="Widen the ranges in app/schemas.py that refuse real houses: look at the "
            "data (df.describe()) and leave room beyond it; keep every category of the data "
            "and houses: list[House] = Field(min_length=1, max_length=1000).",
        )
    expect_none(
        api.listed(wrong, 4),
        expected=f"the prices models/linear.joblib itself predicts for the {total} "
        f"(relative tolerance {REL_TOL:g})",
        hint="Predict with model.predict(frame) on a DataFrame of the houses as sent, and "
        "return its values unchanged, in order.",
    )


@pytest.mark.points(1)
def test_health_tells_the_truth(http: api.Http, app_without_model: api.AppRun) -> None:
    """GET /health answers 200 with the model version, and 503 when no model is loaded"""
    loaded = http.get("/health")
    try:
        version = loaded.json().get("model_version")
    except (ValueError, AttributeError):
        version = None
    expect(
        loaded.status_code == 200 and isinstance(version, str) and version,
        expected='GET /health with the model loaded to answer 200 with "model_version"',
        found=f"status {loaded.status_code}: {api.quote(loaded.text)}",
        hint='Return {"status": "ok", "model_version": MODEL_VERSION} from health().',
    )
    if app_without_model.server is None:
        fail(
            expected="the app to start in a copy of the week folder without models/ (train.py "
            "not run) and say so on /health",
            found=app_without_model.start_problem,
            hint="In the lifespan handler, catch FileNotFoundError around joblib.load, log an "
            "error and set app.state.model = None instead of crashing.",
        )
    client = api.Http(app_without_model.server)
    try:
        missing = client.get("/health")
    finally:
        client.close()
    expect(
        missing.status_code == 503,
        expected="GET /health to answer 503 while no model is loaded (no models/linear.joblib)",
        found=f"status {missing.status_code}: {api.quote(missing.text)}",
        hint="In health(): if request.app.state.model is None, raise "
        'HTTPException(status_code=503, detail="model not loaded").',
    )
