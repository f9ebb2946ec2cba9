"""results.json as week 19's optimize.py writes it, read and validated in the standard library.

{"variants": {"baseline": {"file": "models/baseline.onnx", "size_bytes": 179575,
                           "accuracy": 0.923, "p50_ms": 0.011, "p95_ms": 0.021,
                           "rows_per_s": 24396.6},
              "int8": {...}, "pruned": {...}, "sklearn": {...no file...}},
 "preprocess": "models/preprocess.joblib",
 "recommended": "int8"}
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REQUIRED = ("baseline", "int8", "pruned")
MEASURES = ("accuracy", "p50_ms", "p95_ms", "rows_per_s")
EXAMPLE = (
    '{"variants": {"baseline": {"file": "models/baseline.onnx", "size_bytes": 179575, '
    '"accuracy": 0.923, "p50_ms": 0.011, "p95_ms": 0.021, "rows_per_s": 24000}, "int8": ..., '
    '"pruned": ...}, "preprocess": "models/preprocess.joblib", "recommended": "int8"}'
)


class ResultsProblem(Exception):
    """results.json cannot be used: what is wrong with it."""


@dataclass(frozen=True)
class Variant:
    name: str
    file: str | None  # relative to the week folder; None for a variant without a model file
    size_bytes: int | None
    accuracy: float
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class Results:
    variants: dict[str, Variant]
    preprocess: str | None
    recommended: str

    def with_files(self) -> dict[str, Variant]:
        return {n: v for n, v in self.variants.items() if v.file is not None}


def number(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if ok and math.isfinite(value) else None


def variant(name: str, entry: Any) -> tuple[Variant | None, list[str]]:
    """One variant's entry, or what is wrong with it."""
    if not isinstance(entry, dict):
        return None, [f"{name}: not an object but {json.dumps(entry)[:60]}"]
    problems = [f"{name}.{k}: not a number" for k in MEASURES if number(entry.get(k)) is None]
    file, size = entry.get("file"), entry.get("size_bytes")
    if name in REQUIRED and not isinstance(file, str):
        problems.append(f"{name}.file: no model file named")
    if isinstance(file, str) and (not isinstance(size, int) or isinstance(size, bool)):
        problems.append(f"{name}.size_bytes: not a whole number of bytes ({size!r})")
    if problems:
        return None, problems
    p50, p95 = float(entry["p50_ms"]), float(entry["p95_ms"])
    if not 0 <= entry["accuracy"] <= 1:
        problems.append(f"{name}.accuracy: {entry['accuracy']} is not a share from 0 to 1")
    if not 0 < p50 <= p95:
        problems.append(f"{name}: p50_ms {p50:g} and p95_ms {p95:g} (0 < p50 <= p95)")
    found = Variant(
        name,
        file if isinstance(file, str) else None,
        size if isinstance(file, str) else None,
        float(entry["accuracy"]),
        p50,
        p95,
    )
    return (None if problems else found), problems


def read_results(folder: Path) -> Results:
    """The results file in ``folder``, or ResultsProblem listing what is wrong."""
    path = folder / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ResultsProblem(f"results.json does not read as JSON: {exc}") from None
    entries = data.get("variants") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise ResultsProblem(f"no 'variants' object: {json.dumps(data)[:120]}")
    problems = [f"no variant '{n}'" for n in REQUIRED if n not in entries]
    variants = {}
    for name, entry in entries.items():
        found, wrong = variant(str(name), entry)
        problems += wrong
        if found is not None:
            variants[found.name] = found
    preprocess, recommended = data.get("preprocess"), data.get("recommended")
    if preprocess is not None and not isinstance(preprocess, str):
        problems.append(f"preprocess: {preprocess!r} is not a path")
    if recommended not in entries:
        problems.append(f"recommended: {recommended!r} names none of the variants")
    if problems:
        raise ResultsProblem("; ".join(problems))
    return Results(variants, preprocess, str(recommended))
