"""KServe's two REST protocols as the week 20 checks speak them: request bodies built from the
checks' own houses, and the predictions read back out of an answer (or what is wrong with it).

V1: ``POST /v1/models/NAME:predict`` with ``{"instances": [...]}`` answers
``{"predictions": [...]}``. V2, the Open Inference Protocol: ``POST /v2/models/NAME/infer`` with
``{"id", "inputs": [{"name", "shape", "datatype", "data"}]}`` answers ``{"model_name", "id",
"outputs": [...]}``, and the answer's id must be the request's. Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

House = dict[str, Any]
NUMERIC = ("area", "lot_area", "overall_qual", "overall_cond", "year_built", "year_remod",
           "total_bsmt_sf", "bedrooms", "full_bath", "garage_cars", "fireplaces")  # fmt: skip
TEXT = ("neighborhood", "building_type")
COLUMNS = NUMERIC + TEXT
# The datatypes the lesson's v2-request.json gives each column.
FLOATS = {"area", "lot_area", "total_bsmt_sf"}
NUMBER_TYPES = {"FP16", "FP32", "FP64", "INT8", "INT16", "INT32", "INT64",
                "UINT8", "UINT16", "UINT32", "UINT64"}  # fmt: skip
REL_TOL = 1e-6


def typed(row: dict[str, str]) -> House:
    """A CSV row's features as JSON carries them: whole numbers int, other numbers float, the
    rest text; the price left out."""
    out: House = {}
    for key, text in row.items():
        if key == "price":
            continue
        value: Any = text
        for kind in (int, float):
            with contextlib.suppress(ValueError):
                value = kind(text)
                break
        out[key] = value
    return out


def datatype(column: str, values: list[Any]) -> str:
    if all(isinstance(v, str) for v in values):
        return "BYTES"
    return "FP64" if column in FLOATS else "INT64"


def v1_body(houses: list[House]) -> dict[str, Any]:
    return {"instances": houses}


def v2_body(houses: list[House], request_id: str) -> dict[str, Any]:
    """One tensor per column, one value per house, as the lesson's v2-request.json."""
    inputs = []
    for column in houses[0]:
        values = [h[column] for h in houses]
        inputs.append(
            {"name": column, "shape": [len(values)], "datatype": datatype(column, values),
             "data": values}
        )  # fmt: skip
    return {"id": request_id, "inputs": inputs}


def v2_matrix_body(rows: list[list[float]], request_id: str) -> dict[str, Any]:
    """The scikit-learn runtime's V2 request: one FP64 tensor of shape [houses, columns]."""
    shape = [len(rows), len(rows[0]) if rows else 0]
    tensor = {"name": "input-0", "shape": shape, "datatype": "FP64", "data": rows}
    return {"id": request_id, "inputs": [tensor]}


def flat(data: Any) -> list[Any]:
    """Tensor data, nested or flat, in row-major order."""
    if isinstance(data, list):
        return [v for item in data for v in flat(item)]
    return [data]


def number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def body_of(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def v1_predictions(text: str, count: int) -> tuple[list[float] | None, str]:
    """The answer's predictions, or None and what is wrong with the answer."""
    body = body_of(text)
    got = body.get("predictions") if isinstance(body, dict) else None
    if not isinstance(got, list):
        return None, 'no "predictions" list in the answer'
    got = flat(got)  # [[p], [q]] from a model that returns a column
    if len(got) != count or not all(number(v) for v in got):
        return None, f'"predictions" is not a list of {count} numbers, one per house'
    return [float(v) for v in got], ""


def v2_predictions(text: str, count: int, request_id: str | None) -> tuple[list[float] | None, str]:
    """The one output's numbers, or None and what is wrong with the answer (whose id must be
    the request's, when the request gave one)."""
    body = body_of(text)
    outputs = body.get("outputs") if isinstance(body, dict) else None
    if not isinstance(outputs, list) or len(outputs) != 1 or not isinstance(outputs[0], dict):
        return None, 'not one output in "outputs"'
    output = outputs[0]
    data = flat(output.get("data"))
    if output.get("datatype") not in NUMBER_TYPES or len(data) != count:
        return None, (
            f"the output is not numbers, one per house: datatype {output.get('datatype')!r}, "
            f"{len(data)} value(s) for {count} house(s)"
        )
    if not all(number(v) for v in data):
        return None, "the output's data holds values that are not finite numbers"
    if request_id is not None and body.get("id") != request_id:
        return None, f'"id" is {body.get("id")!r}, not the request\'s {request_id!r}'
    return [float(v) for v in data], ""


def mismatches(got: list[float], expected: list[float], label: str = "house") -> list[str]:
    """Each value that is not the expected one (relative tolerance REL_TOL)."""
    return [
        f"{label} {i + 1}: {g:,.2f} (the model says {e:,.2f})"
        for i, (g, e) in enumerate(zip(got, expected, strict=True))
        if not math.isclose(g, e, rel_tol=REL_TOL, abs_tol=1e-6)
    ]
