"""The week 20 request files, read as a client of the model would send them: v1-request.json
(``{"instances": [one object per house]}``) and v2-request.json (``{"inputs": [one tensor per
feature]}``), each checked against the model's own columns and turned into the rows it holds.
Standard library only.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_checks.kserve_protocol import NUMBER_TYPES, flat, number

House = dict[str, Any]
INT_TYPES = {t for t in NUMBER_TYPES if "INT" in t}
SHOWN = 4  # problems named in a message


@dataclass(frozen=True)
class RequestFile:
    """A request file: its JSON body, the houses it holds, and what is wrong with it."""

    name: str
    body: Any = None
    rows: list[House] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parsed(path: Path) -> tuple[Any, str]:
    if not path.is_file():
        return None, "no such file in the week folder"
    try:
        return json.loads(path.read_text(encoding="utf-8")), ""
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"not JSON: {exc}"


def value_problem(column: str, value: Any, text: set[str]) -> str:
    if column in text:
        return "" if isinstance(value, str) else f"{column} {json.dumps(value)} is not text"
    return "" if number(value) else f"{column} {json.dumps(value)} is not a number"


def read_v1(path: Path, columns: list[str], text: set[str]) -> RequestFile:
    """v1-request.json: every house an object with exactly the model's columns."""
    body, problem = parsed(path)
    instances = body.get("instances") if isinstance(body, dict) else None
    if problem or not isinstance(instances, list) or not instances:
        found = problem or 'not {"instances": [...]} with at least one house'
        return RequestFile(path.name, body, problems=[found])
    problems: list[str] = []
    for at, house in enumerate(instances, 1):
        if not isinstance(house, dict):
            problems.append(f"instance {at} is not an object of named features")
            continue
        missing = [c for c in columns if c not in house]
        extra = [k for k in house if k not in columns]
        if missing:
            problems.append(f"instance {at} lacks {', '.join(missing)}")
        if extra:
            problems.append(f"instance {at} has {', '.join(extra)}, which the model lacks")
        problems += [
            f"instance {at}: {p}"
            for c in columns
            if c in house and (p := value_problem(c, house[c], text))
        ]
    rows = [] if problems else [{c: h[c] for c in columns} for h in instances]
    return RequestFile(path.name, body, rows, problems[:SHOWN])


def tensor_problems(tensor: Any, at: int, text: set[str]) -> list[str]:
    """What is wrong with one V2 input tensor on its own."""
    if not isinstance(tensor, dict):
        return [f"input {at} is not an object"]
    name = tensor.get("name", f"input {at}")
    shape, kind, data = tensor.get("shape"), tensor.get("datatype"), tensor.get("data")
    if not (isinstance(shape, list) and shape and all(isinstance(s, int) for s in shape)):
        return [f"{name}: shape {json.dumps(shape)} is not a list of whole numbers"]
    if not isinstance(data, list):
        return [f"{name}: no data list"]
    values = flat(data)
    if math.prod(shape) != len(values) or len(shape) > 2 or shape[1:] not in ([], [1]):
        return [f"{name}: shape {shape} does not hold its {len(values)} value(s) one per house"]
    if name in text:
        ok = kind == "BYTES" and all(isinstance(v, str) for v in values)
        return [] if ok else [f"{name}: datatype {kind} with {json.dumps(values[:3])}: text "
                              "features are BYTES tensors of strings"]  # fmt: skip
    if kind not in NUMBER_TYPES or not all(number(v) for v in values):
        return [f"{name}: datatype {kind} with {json.dumps(values[:3])}: numeric features are "
                "FP64 or INT64 tensors of numbers"]  # fmt: skip
    if kind in INT_TYPES and not all(float(v).is_integer() for v in values):
        return [f"{name}: datatype {kind} holds fractions {json.dumps(values[:3])}"]
    return []


def read_v2(path: Path, columns: list[str], text: set[str]) -> RequestFile:
    """v2-request.json: one tensor per model column, each holding one value per house."""
    body, problem = parsed(path)
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if problem or not isinstance(inputs, list) or not inputs:
        found = problem or 'not {"inputs": [...]} with at least one tensor'
        return RequestFile(path.name, body, problems=[found])
    problems = [p for n, t in enumerate(inputs, 1) for p in tensor_problems(t, n, text)]
    names = [t.get("name") for t in inputs if isinstance(t, dict)]
    missing = [c for c in columns if c not in names]
    extra = [str(n) for n in names if n not in columns]
    twice = sorted({str(n) for n in names if names.count(n) > 1})
    if missing:
        problems.append(f"no tensor for {', '.join(missing)}")
    if extra:
        problems.append(f"tensors {', '.join(extra)}, which the model lacks")
    if twice:
        problems.append(f"more than one tensor named {', '.join(twice)}")
    if problems:
        return RequestFile(path.name, body, problems=problems[:SHOWN])
    data = {t["name"]: flat(t["data"]) for t in inputs}
    counts = {len(v) for v in data.values()}
    if len(counts) > 1:
        sizes = ", ".join(f"{k} {len(v)}" for k, v in data.items())
        return RequestFile(path.name, body, problems=[f"tensors of different lengths: {sizes}"])
    rows = [{c: data[c][i] for c in columns} for i in range(counts.pop())]
    return RequestFile(path.name, body, rows)
