"""The API's answers and validation judged by real requests: the checks week 9 teaches,
collected unchanged by the weeks that serve the same API (the capstone, week 23) so they run again
there.

Every request goes to the one running app (the ``http`` fixture of ``api_fixtures``; a week may
override it, e.g. to send a bearer token). POST /predict answers what the learner's own saved
model predicts; bad requests get 422 naming the field, each time one thing wrong in an otherwise
valid house: values just past the limits week 9's lesson sets (1 to 1000 houses, quality and
condition 1 to 10, years 1800 to 2100, positive areas, counts never negative), mistyped and
missing fields, unknown categories and fields. The 422 may take any common shape (FastAPI's
`detail` list of `loc`s, dotted paths such as `houses.0.area`, the lesson's
`{"errors": [{"field": ...}]}`). Malformed JSON gets a 4xx, and the internal error of the
scaffold's debug route, GET /debug/error (there because the checks start the app with
ENABLE_DEBUG_ROUTES=1), a JSON 500 that leaks nothing. A week collects the checks by importing
them into one of its test modules; they keep their titles, points and markers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest

from mlops_checks import api
from mlops_roadmap.checking import expect, expect_none, fail

__all__ = [
    "expect_model",
    "mismatches",
    "predictions_of",
    "test_internal_error_is_json_500",
    "test_invalid_input_gets_422",
    "test_malformed_json_gets_4xx",
    "test_predictions_match_model",
]
REL_TOL = 1e-6
House = dict[str, Any]


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


BATCH_LIMIT = 1000
FORBID = 'model_config = ConfigDict(extra="forbid") on House'
BATCH = "houses: list[House] = Field(min_length=1, max_length=1000)"


def without(field: str) -> Callable[[House], House]:
    return lambda house: {k: v for k, v in house.items() if k != field}


def changed(field: str, value: Any) -> Callable[[House], House]:
    return lambda house: {**house, field: value}


def past(field: str, value: Any, limit: str) -> tuple[str, Callable[[House], House], str, str]:
    """A value just past a limit the lesson sets, and the Field(...) rule that rejects it."""
    return (f"{field} {value}", changed(field, value), field, f"Field({limit}) on {field}")


def category(field: str, value: Any) -> tuple[str, Callable[[House], House], str, str]:
    return (f"{field} {json.dumps(value)} (not one of its categories)", changed(field, value),
            field, f"a Literal of the known values for {field}")  # fmt: skip


# (what is wrong, how a valid house is changed, the field the 422 must name, the fix when the
# app accepts it)
BAD_HOUSES: list[tuple[str, Callable[[House], House], str, str]] = [
    ("area missing", without("area"), "area", "area: float with no default"),
    ("neighborhood missing", without("neighborhood"), "neighborhood",
     "neighborhood with no default"),
    ('area "big" (text)', changed("area", "big"), "area", "area: float"),
    ('overall_qual "six" (text)', changed("overall_qual", "six"), "overall_qual",
     "overall_qual: int"),
    category("neighborhood", 42),
    past("area", -100, "gt=0"),
    past("area", 0, "gt=0"),
    past("lot_area", 0, "gt=0"),
    past("total_bsmt_sf", -1, "ge=0"),
    past("overall_qual", 0, "ge=1, le=10"),
    past("overall_qual", 11, "ge=1, le=10"),
    past("overall_cond", 0, "ge=1, le=10"),
    past("overall_cond", 11, "ge=1, le=10"),
    past("year_built", 1799, "ge=1800, le=2100"),
    past("year_built", 3000, "ge=1800, le=2100"),
    past("year_remod", 2101, "ge=1800, le=2100"),
    past("bedrooms", -1, "ge=0"),
    past("full_bath", -1, "ge=0"),
    past("garage_cars", -1, "ge=0"),
    past("fireplaces", -1, "ge=0"),
    category("neighborhood", "Atlantis"),
    category("building_type", "Castle"),
    ("an unexpected field pool_area: 40", lambda h: {**h, "pool_area": 40}, "pool_area", FORBID),
]  # fmt: skip


def bad_bodies(house: House) -> list[tuple[str, Any, str, str]]:
    return [
        ('{"houses": []} (an empty batch)', {"houses": []}, "houses", BATCH),
        ("{} (no houses at all)", {}, "houses", "houses with no default"),
        (
            f"{BATCH_LIMIT + 1:,} houses (the limit is {BATCH_LIMIT:,})",
            {"houses": [house] * (BATCH_LIMIT + 1)},
            "houses",
            BATCH,
        ),
    ]


UNNAMED = (
    "Your 422 body does not say which field failed: keep FastAPI's default "
    '{"detail": [{"loc": [...], ...}]}, or name each failing field in your own errors, e.g. '
    '{"errors": [{"field": "houses.0.area", "message": "..."}]}.'
)
NOT_422 = (
    "Answer invalid input with 422, FastAPI's own status for a body that fails validation "
    "(a handler for RequestValidationError must keep it)."
)


def problem(
    what: str, field: str, fix: str, response: Any, fields: tuple[str, ...]
) -> tuple[str, str] | None:
    """(what went wrong, the fix in app/schemas.py or the hint for it), or None when the
    answer is a 422 naming ``field``."""
    status = response.status_code
    if status == 422:
        if api.field_named(response.text, field, fields):
            return None
        return f"{what}: 422 without naming {field}: {compact(response.text)}", UNNAMED
    if status >= 500:
        return f"{what}: status {status} (the app failed on it)", fix
    if status == 200:
        return f"{what}: status 200 (accepted)", fix
    return f"{what}: status {status}", NOT_422


def hint_for(fixes: list[str]) -> str:
    """The schema fixes for what was accepted, then the other hints, each once."""
    schema = [f for f in dict.fromkeys(fixes) if f not in (UNNAMED, NOT_422)]
    others = [h for h in dict.fromkeys(fixes) if h in (UNNAMED, NOT_422)]
    parts = [f"In app/schemas.py: {'; '.join(schema[:4])}."] if schema else []
    return " ".join(parts + others)


def compact(text: str, limit: int = 300) -> str:
    """A 422 body without the request values it echoes (`input`), so that what names the
    fields fits in the message."""
    try:
        body = json.loads(text)
    except ValueError:
        return api.quote(text, limit)

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: "..." if k in ("input", "ctx") else strip(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return api.quote(json.dumps(strip(body)), limit)


@pytest.mark.points(3)
def test_invalid_input_gets_422(http: api.Http, houses: list[House]) -> None:
    """Missing, mistyped, out-of-range and unexpected fields get 422 naming the field"""
    fields = tuple(houses[0])
    cases = [
        (what, {"houses": [change(houses[0])]}, field, fix)
        for what, change, field, fix in BAD_HOUSES
    ]
    found = []
    for what, body, field, fix in [*cases, *bad_bodies(houses[0])]:
        wrong = problem(what, field, fix, http.post("/predict", json=body), fields)
        if wrong is not None:
            found.append(wrong)
    expect_none(
        api.listed([text for text, _ in found], 4),
        expected="POST /predict to answer 422 naming the failing field for each bad house "
        "(one thing wrong in an otherwise valid house), for an empty batch and for one past "
        f"the limit of {BATCH_LIMIT:,} houses",
        hint=hint_for([fix for _, fix in found]),
    )


@pytest.mark.points(1)
def test_malformed_json_gets_4xx(http: api.Http) -> None:
    """Malformed JSON gets a 4xx answer, not a server error"""
    response = http.post(
        "/predict",
        content=b'{"houses": [{"area": 1200,',
        headers={"Content-Type": "application/json"},
    )
    expect(
        400 <= response.status_code < 500,
        expected="POST /predict with a truncated JSON body to answer 4xx (FastAPI says 422)",
        found=f"status {response.status_code}: {api.quote(response.text)}",
        hint="Let FastAPI parse the body: declare it as a Pydantic model parameter instead of "
        "reading request.json() yourself.",
    )


@pytest.mark.points(2)
def test_internal_error_is_json_500(http: api.Http) -> None:
    """An internal error answers 500 in JSON, without a traceback"""
    response = http.get(api.ERROR_ROUTE)
    if response.status_code == 404:
        fail(
            expected=f"GET {api.ERROR_ROUTE} to exist when ENABLE_DEBUG_ROUTES=1 (the checks "
            "raise an internal error through it)",
            found="404: the route is missing",
            hint="Put back the debug route from the scaffold's app/main.py, at the end of the "
            "file.",
        )
    is_object, leaks = api.error_answer(response.text)
    expect(
        response.status_code == 500 and is_object and not leaks,
        expected=f"GET {api.ERROR_ROUTE} (it raises RuntimeError) to answer 500 with a JSON "
        "object and no traceback or exception text in the body",
        found=f"status {response.status_code}, content-type "
        f"{response.headers.get('content-type', '(none)')}: "
        + (api.excerpt(response.text, leaks[0]) if leaks else api.quote(response.text))
        + (f" (it shows {', '.join(map(json.dumps, leaks))})" if leaks else ""),
        hint="Add @app.exception_handler(Exception) that logs the error with log.exception and "
        'returns JSONResponse(status_code=500, content={"detail": "internal server error"}).',
    )
