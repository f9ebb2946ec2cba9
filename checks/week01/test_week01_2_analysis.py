"""Week 1: analysis.py runs from a clean start, its statistics are right, its figures are real.

The expected statistics are computed here from data/iris.csv with the standard library only
(csv, statistics, math): pandas never loads in the engine's process.
"""

from __future__ import annotations

import csv
import json
import math
import statistics
import struct
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mlops_checks.clean_run import CleanRun, expect_ran
from mlops_roadmap.checking import expect, fail

FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
SECTIONS = ("rows", "species_counts", "means", "std", "correlation")
REL_TOL = 1e-6
ABS_TOL = 1e-9
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_SIDE = 100  # pixels
MIN_DISTINCT = 16  # distinct byte values in the decompressed pixels; a blank image has ~2
SHOWN = 4  # mismatches listed in a failure message
# Room for the clean run of analysis.py (240 s at most), whichever check happens to start it.
pytestmark = pytest.mark.timeout(330)


def read_iris(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def column(rows: list[dict[str, str]], name: str) -> list[float]:
    return [float(row[name]) for row in rows]


def per_species(rows: list[dict[str, str]], func: Any) -> dict[str, dict[str, float]]:
    """func applied to each feature within each species."""
    names = sorted({row["species"] for row in rows})
    return {
        name: {f: func(column([r for r in rows if r["species"] == name], f)) for f in FEATURES}
        for name in names
    }


def expected_stats(rows: list[dict[str, str]]) -> dict[str, Any]:
    """The statistics stats.json must hold, computed with the standard library."""
    columns = {f: column(rows, f) for f in FEATURES}
    return {
        "rows": len(rows),
        "species_counts": dict(Counter(row["species"] for row in rows)),
        "means": per_species(rows, statistics.fmean),
        "std": per_species(rows, statistics.stdev),
        "correlation": {
            a: {b: statistics.correlation(columns[a], columns[b]) for b in FEATURES}
            for a in FEATURES
        },
    }


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def mismatches(expected: Any, found: Any, where: str) -> list[str]:
    """Every place where found differs from expected (extra keys in found are fine)."""
    if isinstance(expected, dict):
        if not isinstance(found, dict):
            return [f"{where}: expected an object, found {json.dumps(found)[:60]}"]
        return [
            problem
            for key, value in expected.items()
            for problem in (
                mismatches(value, found[key], f"{where}.{key}" if where else key)
                if key in found
                else [f"{where}.{key}: missing" if where else f"{key}: missing"]
            )
        ]
    if is_number(found) and math.isclose(found, expected, rel_tol=REL_TOL, abs_tol=ABS_TOL):
        return []
    return [f"{where}: expected {expected:.6g}, found {json.dumps(found)[:60]}"]


def compare_section(
    finished_run: CleanRun, stats: dict[str, Any], sections: tuple[str, ...], hint: str
) -> None:
    """Fail unless the given sections of stats.json match the recomputed statistics."""
    truth = expected_stats(read_iris(finished_run.folder / "data" / "iris.csv"))
    problems = mismatches({s: truth[s] for s in sections}, stats, "")
    shown = "; ".join(problems[:SHOWN])
    if len(problems) > SHOWN:
        shown += f" (and {len(problems) - SHOWN} more)"
    expect(
        not problems,
        expected=f"{' and '.join(sections)} in reports/stats.json to match data/iris.csv "
        f"(relative tolerance {REL_TOL:g})",
        found=shown,
        hint=hint,
    )


def png_problem(path: Path) -> str | None:
    """Why path is not a real, non-blank PNG of at least MIN_SIDE pixels (None when it is)."""
    data = path.read_bytes()
    if not data.startswith(PNG_SIGNATURE):
        return "not a PNG file (wrong signature)"
    width = height = 0
    idat: list[bytes] = []
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR" and len(body) >= 8:
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if min(width, height) < MIN_SIDE:
        return f"only {width}x{height} pixels"
    try:
        pixels = zlib.decompress(b"".join(idat))
    except zlib.error as exc:
        return f"its image data does not decompress ({exc})"
    distinct = len(set(pixels))
    return f"looks blank ({distinct} distinct byte values)" if distinct < MIN_DISTINCT else None


@pytest.mark.points(2)
@pytest.mark.hint("Run `python analysis.py` from the week folder and fix the first error it shows.")
def test_analysis_runs(analysis_run: CleanRun) -> None:
    """analysis.py runs from a clean start"""
    expect_ran(
        analysis_run,
        expected="`python analysis.py` in a fresh copy of the week folder (no reports/) "
        "to exit with status 0",
        hint="Finish the TODOs in analysis.py, then run `python analysis.py` yourself; it must "
        "create reports/ and reports/figures/ itself (mkdir(parents=True, exist_ok=True)).",
    )


@pytest.mark.points(1)
@pytest.mark.hint("Write the dict from summarize() with json.dumps into reports/stats.json.")
def test_stats_json_written(finished_run: CleanRun) -> None:
    """analysis.py writes reports/stats.json"""
    path = finished_run.folder / "reports" / "stats.json"
    if not path.is_file():
        fail(
            expected="reports/stats.json",
            found="no such file after the run",
            hint="Save the statistics with write_json(stats, REPORTS_DIR / 'stats.json').",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        fail(
            expected="reports/stats.json to be valid JSON",
            found=str(exc),
            hint="Write it with json.dumps(...); numpy numbers need float()/int() first.",
        )
    missing = [s for s in SECTIONS if not isinstance(data, dict) or s not in data]
    expect(
        not missing,
        expected=f"a JSON object with the keys {', '.join(SECTIONS)}",
        found=f"missing {', '.join(missing)}",
        hint="README.md shows the exact layout of stats.json.",
    )


def section(name: str, title: str, marker_hint: str, hint: str, *keys: str) -> pytest.ParameterSet:
    """One statistics check: the sections of stats.json it compares with the check's own."""
    marks = [pytest.mark.title(title), pytest.mark.hint(marker_hint)]
    return pytest.param((keys or (name,)), hint, id=name, marks=marks)


@pytest.mark.points(1)
@pytest.mark.parametrize(
    ("keys", "hint"),
    [
        section(
            "counts",
            "stats.json counts the rows and each species correctly",
            "rows is len(df); species_counts comes from df['species'].value_counts().",
            "Use plain ints: int(len(df)) and {name: int(n) for ...}.",
            "rows",
            "species_counts",
        ),
        section(
            "means",
            "stats.json has the right mean of each feature per species",
            "df.groupby('species')[FEATURES].mean() gives one row per species.",
            "Shape it {species: {feature: mean}}: to_dict(orient='index') does that.",
        ),
        section(
            "std",
            "stats.json has the right standard deviation of each feature per species",
            "Sample standard deviation: .std() in pandas (ddof=1), not numpy's np.std.",
            "pandas' .std() divides by n-1 (ddof=1); np.std divides by n.",
        ),
        section(
            "correlation",
            "stats.json has the Pearson correlation between every pair of features",
            "df[FEATURES].corr() is the 4x4 Pearson correlation over all 150 rows.",
            "Correlate over the whole data set, not per species: df[FEATURES].corr().",
        ),
    ],
)
def test_statistics(
    finished_run: CleanRun, stats: dict[str, Any], keys: tuple[str, ...], hint: str
) -> None:
    """stats.json holds the statistics analysis.py computes from the data"""
    compare_section(finished_run, stats, keys, hint=hint)


@pytest.mark.points(2)
@pytest.mark.hint("Save each figure with fig.savefig('reports/figures/NAME.png').")
def test_figures_are_real_pngs(finished_run: CleanRun) -> None:
    """analysis.py saves at least two real figures as PNG"""
    folder = finished_run.folder / "reports" / "figures"
    pngs = sorted(folder.glob("*.png")) if folder.is_dir() else []
    problems = {p.name: png_problem(p) for p in pngs}
    good = [name for name, problem in problems.items() if problem is None]
    bad = [f"{name}: {problem}" for name, problem in problems.items() if problem]
    found = f"{len(good)} good PNG file(s) in reports/figures/" + (
        f"; {'; '.join(bad[:SHOWN])}" if bad else ""
    )
    expect(
        len(good) >= 2,
        expected=f"at least two PNG figures of at least {MIN_SIDE}x{MIN_SIDE} pixels that are "
        "not blank in reports/figures/",
        found=found,
        hint="Draw something on each figure before saving it, and save with .png; "
        "sns.pairplot(...).figure.savefig(...) and plt.subplots() + sns.boxplot(...) work.",
    )
