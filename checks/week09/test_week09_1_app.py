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

from mlops_checks import api, api_checks
from mlops_roadmap.checking import expect, expect_none, fail

REL_TOL = 1e-6
BATCH = 1000  # the most houses the lesson allows in one request
EXAMPLES = 3  # rejected houses named in a message
# Room for training (240 s at most) and the app's start (60 s), whichever check starts them.
pytestmark = pytest.mark.timeout(420)
test_training = api_checks.test_training  # the shared check, collected here in this order


def numbers(values: Any) -> bool:
    return isinstance(values, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
    )


def predictions_of(response: Any) -> list[float] | None:
    """The answer's "predictions" when it is a list of numbers, else None."""
    try:
        got = response.json().get("predictions")
    except (ValueError, AttributeError):
        return None
    return list(got) if numbers(got) else None


def expect_model(answer: dict[str, Any]) -> list[float]:
    if "error" in answer:
        fail(
            expected=f"{api.MODEL} to load with joblib and predict from a DataFrame of the 13 "
            "feature columns",
            found=answer["error"],
            hint="Keep train.py saving the whole fitted Pipeline with joblib.dump.",
        )
    return list(answer["predictions"])


def mismatches(got: list[float], expected: list[float], offset: int = 0) -> list[str]:
    return [
        f"house {offset + i + 1}: {g:,.2f} (the model says {e:,.2f})"
        for i, (g, e) in enumerate(zip(got, expected, strict=True))
        if not math.isclose(g, e, rel_tol=REL_TOL, abs_tol=1e-6)
    ]


@pytest.mark.points(2)
def test_app_starts(app_run: api.AppRun, request: pytest.FixtureRequest) -> None:
    """The app starts under uvicorn and GET /health answers 200"""
    api.check_started(app_run, lambda: request.getfixturevalue("http"))


@pytest.mark.points(2)
def test_predictions_match_model(
    http: api.Http, houses: list[dict[str, Any]], model_predictions: dict[str, Any]
) -> None:
    """POST /predict returns what the learner's model itself predicts"""
    expected = expect_model(model_predictions)
    response = http.post("/predict", json={"houses": houses})
    request_text = f'POST /predict with {{"houses": [...{len(houses)} valid houses...]}}'
    expect(
        response.status_code == 200,
        expected=f"{request_text} to answer 200",
        found=f"status {response.status_code}: {api.quote(response.text)}",
        hint="Run the app, send tests/sample_request.json with curl and read the traceback "
        "in the app's output (a 422 names the field your schema refuses).",
    )
    got = predictions_of(response)
    body = response.json() if got is not None else {}
    expect(
        got is not None
        and len(got) == len(expected)
        and isinstance(body.get("model_version"), str),
        expected=f'a JSON object with "predictions": a list of {len(expected)} numbers, one per '
        'house in the order sent, and "model_version": a string',
        found=api.quote(response.text),
        hint="Return PredictResponse(predictions=[float(p) for p in prices], "
        "model_version=MODEL_VERSION).",
    )
    assert got is not None
    expect_none(
        api.listed(mismatches(got, expected), 4),
        expected=f"the prices models/linear.joblib itself predicts for the same houses "
        f"(relative tolerance {REL_TOL:g})",
        hint="Build the DataFrame from [h.model_dump() for h in body.houses] with the fields "
        "in the training columns' order, and return model.predict(frame) unchanged.",
    )


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
