"""Evidently 0.7 drift reports read as saved JSON, without importing Evidently (its import
costs 10-25 s of CPU), and the share of drifted columns a script prints.

``snapshot.save_json(path)`` writes what ``snapshot.dict()`` returns: ``{"metrics": [...],
"tests": [...]}``. The ``DriftedColumnsCount`` metric's value is ``{"count", "share"}``; each
compared column has a ``ValueDrift`` metric whose config names the column and the method.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The tests Evidently 0.7 picks by itself for a column, by the reference's size
# (evidently.legacy.calculations.stattests.registry._get_default_stattest): with more than
# 1,000 reference rows, distances; with 1,000 or fewer, p-values. Which set a report shows
# tells which of its two inputs Evidently took as the reference.
LARGE_REFERENCE = frozenset({"Wasserstein distance (normed)", "Jensen-Shannon distance"})
SMALL_REFERENCE = frozenset({"K-S p_value", "chi-square p_value", "Z-test p_value"})
NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)[ \t]*(%?)")


@dataclass(frozen=True)
class DriftReport:
    """What a saved drift report says."""

    share: float
    count: float
    methods: dict[str, str]  # compared column -> the method of its ValueDrift metric
    tests: int  # how many tests the report holds (include_tests=True gives them)


class ReportProblem(Exception):
    """A saved report that cannot be read as an Evidently 0.7 drift report: what was found."""


def file_start(data: bytes) -> str:
    """The first characters of a file, for a message."""
    if not data.strip():
        return "an empty file"
    text = data[:80].decode("utf-8", errors="replace").replace("\n", " ")
    return f"a file starting {text!r}"


def read_report(path: Path) -> DriftReport:
    """The drift report saved at ``path``, or ReportProblem saying what is there instead."""
    if not path.is_file():
        raise ReportProblem(f"no {path.name} was written")
    data = path.read_bytes()
    try:
        report = json.loads(data)
    except ValueError:
        raise ReportProblem(f"{path.name} is not JSON: {file_start(data)}") from None
    metrics = report.get("metrics") if isinstance(report, dict) else None
    if not isinstance(metrics, list):
        raise ReportProblem(f"{path.name} holds JSON without a 'metrics' list: {data[:80]!r}")
    counted = [m for m in metrics if name_of(m).startswith("DriftedColumnsCount")]
    if not counted:
        names = sorted({name_of(m).split("(")[0] for m in metrics}) or ["no metrics"]
        raise ReportProblem(f"{path.name} has no DriftedColumnsCount metric ({', '.join(names)})")
    value = counted[0].get("value")
    share = value.get("share") if isinstance(value, dict) else None
    if not isinstance(share, (int, float)) or not math.isfinite(share):
        raise ReportProblem(f"{path.name}: DriftedColumnsCount has no share: {value!r}")
    methods = {
        str(m["config"].get("column")): str(m["config"].get("method"))
        for m in metrics
        if name_of(m).startswith("ValueDrift") and isinstance(m.get("config"), dict)
    }
    tests = report.get("tests")
    return DriftReport(
        float(share),
        float(value.get("count", math.nan)),
        methods,
        len(tests) if isinstance(tests, list) else 0,
    )


def name_of(metric: Any) -> str:
    return str(metric.get("metric_name", "")) if isinstance(metric, dict) else ""


def printed_shares(output: str) -> list[tuple[float, float]]:
    """Each number a script printed on a line about the share or drift ("share 0.154",
    "Drifted: 15.4%"; a percentage is divided by 100), with how far rounding to its printed
    digits may have moved it."""
    shares = []
    for line in output.splitlines():
        if "share" not in line.lower() and "drift" not in line.lower():
            continue
        for found in NUMBER.finditer(line):
            number, percent = found.group(1), found.group(2)
            scale = 100.0 if percent else 1.0
            digits = len(number.partition(".")[2])
            shares.append((float(number) / scale, 0.5 * 10.0**-digits / scale + 1e-9))
    return shares


def prints_share(output: str, share: float) -> bool:
    """Whether the script printed ``share`` (to the digits it printed)."""
    return any(abs(value - share) <= slack for value, slack in printed_shares(output))


def is_html(path: Path) -> bool:
    """Whether ``path`` holds an HTML page (its start names it so)."""
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        start = handle.read(2048).lower()
    return b"<html" in start or b"<!doctype html" in start
