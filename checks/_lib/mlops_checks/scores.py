"""Scores the checks recompute themselves, in plain Python (no numpy in the engine's process)."""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

REL_TOL = 1e-6  # a number the learner reports must equal the check's own, to this tolerance


def read_prices(path: Path, column: str = "price") -> list[float]:
    """The price column of a CSV file."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [float(row[column]) for row in csv.DictReader(handle)]


def rmse(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """Root mean squared error."""
    pairs = zip(actual, predicted, strict=True)
    return math.sqrt(math.fsum((p - a) ** 2 for a, p in pairs) / len(actual))


def accuracy(actual: Sequence[int], predicted: Sequence[float]) -> float:
    """The share of predictions equal to the label."""
    return sum(1 for a, p in zip(actual, predicted, strict=True) if p == a) / len(actual)


def mae(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """Mean absolute error."""
    pairs = zip(actual, predicted, strict=True)
    return math.fsum(abs(p - a) for a, p in pairs) / len(actual)


def same(a: float, b: float) -> bool:
    """Two reported numbers agree to REL_TOL."""
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-12)


def which(value: float, candidates: Mapping[str, float]) -> str | None:
    """The name of the first candidate ``value`` equals (what a wrong number really is)."""
    return next((name for name, number in candidates.items() if same(value, number)), None)
