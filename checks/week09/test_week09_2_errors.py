"""Week 9: bad requests get 422 naming the field, malformed JSON a 4xx, and an internal error
a JSON 500 that leaks nothing.

Every request goes to the one running app (the `http` fixture). The internal error comes from
the scaffold's debug route, GET /debug/error, which exists because the checks start the app
with ENABLE_DEBUG_ROUTES=1 (the lesson says so).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from mlops_checks import api
from mlops_roadmap.checking import expect, expect_none, fail

pytestmark = pytest.mark.timeout(420)
House = dict[str, Any]


def without(field: str) -> Callable[[House], House]:
    return lambda house: {k: v for k, v in house.items() if k != field}


def changed(field: str, value: Any) -> Callable[[House], House]:
    return lambda house: {**house, field: value}


# (what is wrong, how the house is changed, the field the 422 must name)
BAD_HOUSES: list[tuple[str, Callable[[House], House], str]] = [
    ("area missing", without("area"), "area"),
    ("neighborhood missing", without("neighborhood"), "neighborhood"),
    ('area "big" (text)', changed("area", "big"), "area"),
    ('overall_qual "six" (text)', changed("overall_qual", "six"), "overall_qual"),
    ("neighborhood 42 (a number)", changed("neighborhood", 42), "neighborhood"),
    ("area -100", changed("area", -100), "area"),
    ("overall_qual 11 (the scale is 1 to 10)", changed("overall_qual", 11), "overall_qual"),
    ("year_built 3000", changed("year_built", 3000), "year_built"),
    ("bedrooms -1", changed("bedrooms", -1), "bedrooms"),
    ('neighborhood "Atlantis" (not in Ames)', changed("neighborhood", "Atlantis"), "neighborhood"),
    ('building_type "Castle"', changed("building_type", "Castle"), "building_type"),
    ("an unexpected field pool_area: 40", lambda h: {**h, "pool_area": 40}, "pool_area"),
]
BAD_BODIES: list[tuple[str, Any, str]] = [
    ('{"houses": []} (an empty batch)', {"houses": []}, "houses"),
    ("{} (no houses at all)", {}, "houses"),
]


def names_field(response: Any, field: str) -> bool:
    """Whether a 422 answer names the field: in a `loc` of FastAPI's `detail` list, else
    anywhere in the body as a quoted JSON string."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list) and all(isinstance(d, dict) and "loc" in d for d in detail):
        return any(field in [str(part) for part in d["loc"]] for d in detail)
    return f'"{field}"' in response.text


@pytest.mark.points(3)
def test_invalid_input_gets_422(http: api.Http, houses: list[House]) -> None:
    """Missing, mistyped, out-of-range and unexpected fields get 422 naming the field"""
    cases = [(what, {"houses": [change(houses[0])]}, field) for what, change, field in BAD_HOUSES]
    problems = []
    for what, body, field in [*cases, *BAD_BODIES]:
        response = http.post("/predict", json=body)
        if response.status_code != 422:
            problems.append(f"{what}: status {response.status_code}")
        elif not names_field(response, field):
            problems.append(f"{what}: 422 without naming {field}: {api.quote(response.text, 160)}")
    expect_none(
        problems,
        expected="POST /predict to answer 422 naming the failing field for each bad house "
        "(one field wrong in an otherwise valid house) and for an empty batch",
        hint="In app/schemas.py: model_config = ConfigDict(extra='forbid'), a Field(...) range "
        "on every number (area > 0, quality 1-10, years 1800-2100, counts >= 0), Literal types "
        "for neighborhood and building_type, and houses: list[House] = Field(min_length=1, "
        "max_length=1000).",
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
        f"{response.headers.get('content-type', '(none)')}: {api.quote(response.text)}"
        + (f" (it shows {', '.join(map(json.dumps, leaks))})" if leaks else ""),
        hint="Add @app.exception_handler(Exception) that logs the error with log.exception and "
        'returns JSONResponse(status_code=500, content={"detail": "internal server error"}).',
    )
