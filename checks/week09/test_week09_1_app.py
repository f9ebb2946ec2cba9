"""Week 9: the app trains, starts, answers /health and serves the model's own predictions.

The model is trained and the app started once (the `app_run` fixture); the expected prices
come from the learner's saved model, loaded in the learner's interpreter.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from mlops_checks import api, api_checks
from mlops_roadmap.checking import expect, expect_none, fail

REL_TOL = 1e-6
# Room for training (240 s at most) and the app's start (60 s), whichever check starts them.
pytestmark = pytest.mark.timeout(420)
test_training = api_checks.test_training  # the shared check, collected here in this order


def numbers(values: Any) -> bool:
    return isinstance(values, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
    )


@pytest.mark.points(2)
def test_app_starts(app_run: api.AppRun, request: pytest.FixtureRequest) -> None:
    """The app starts under uvicorn and GET /health answers 200"""
    api.check_started(app_run, lambda: request.getfixturevalue("http"))


@pytest.mark.points(2)
def test_predictions_match_model(
    http: api.Http, houses: list[dict[str, Any]], model_predictions: dict[str, Any]
) -> None:
    """POST /predict returns what the learner's model itself predicts"""
    if "error" in model_predictions:
        fail(
            expected=f"{api.MODEL} to load with joblib and predict from a DataFrame of the 13 "
            "feature columns",
            found=model_predictions["error"],
            hint="Keep train.py saving the whole fitted Pipeline with joblib.dump.",
        )
    expected = model_predictions["predictions"]
    response = http.post("/predict", json={"houses": houses})
    request_text = f'POST /predict with {{"houses": [...{len(houses)} valid houses...]}}'
    expect(
        response.status_code == 200,
        expected=f"{request_text} to answer 200",
        found=f"status {response.status_code}: {api.quote(response.text)}",
        hint="Run the app, send tests/sample_request.json with curl and read the traceback "
        "in the app's output.",
    )
    try:
        got = response.json().get("predictions")
    except (ValueError, AttributeError):
        got = None
    expect(
        numbers(got) and len(got) == len(expected),
        expected=f'a JSON object with "predictions": a list of {len(expected)} numbers, one per '
        "house in the order sent",
        found=api.quote(response.text),
        hint="Return PredictResponse(predictions=[float(p) for p in prices], model_version=...).",
    )
    wrong = [
        f"house {i + 1}: {g:,.2f} (the model says {e:,.2f})"
        for i, (g, e) in enumerate(zip(got, expected, strict=True))
        if not math.isclose(g, e, rel_tol=REL_TOL, abs_tol=1e-6)
    ]
    expect_none(
        wrong,
        expected=f"the prices models/linear.joblib itself predicts for the same houses "
        f"(relative tolerance {REL_TOL:g})",
        hint="Build the DataFrame from [h.model_dump() for h in body.houses] with the fields "
        "in the training columns' order, and return model.predict(frame) unchanged.",
        shown=4,
    )
