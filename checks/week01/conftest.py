"""Week 1 fixtures: analysis.py run from a clean start twice at once, on the shipped
data/iris.csv and on a copy of it the check changed, shared by the checks that inspect them.

Also what the checks judge with, in the standard library only (pandas never loads in the
engine's process): the Iris statistics (csv, statistics), the changed copy of the data, and
what a PNG file really is (struct, zlib).
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import statistics
import struct
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_checks.clean_run import CleanRun, finished, run_clean_all
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import CleanCopy, Run

RUN_TIMEOUT = 240  # seconds for `python analysis.py` (the solution takes about 6)
OUTPUTS = ("reports", "models")  # left out of the clean copies: the run makes them
DATA = "data/iris.csv"
PRELOAD = ("numpy", "pandas", "matplotlib.pyplot", "seaborn")  # imported once for both runs
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
SPECIES = "species"
KEPT = range(31, 48)  # flowers each species keeps in the changed copy (different for each)
MOVES = (-0.3, -0.2, -0.1, 0.1, 0.2, 0.3)  # cm added to each measurement in the changed copy
SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_SIDE = 100  # pixels
MIN_DISTINCT = 16  # distinct byte values in the decompressed pixels; a blank image has ~2

Rows = list[dict[str, str]]


# -- the statistics and the changed copy ---------------------------------------------------


def read_iris(path: Path) -> Rows:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def column(rows: Rows, name: str) -> list[float]:
    return [float(row[name]) for row in rows]


def per_species(rows: Rows, func: Callable[[list[float]], float]) -> dict[str, dict[str, float]]:
    """func applied to each feature within each species."""
    names = sorted({row[SPECIES] for row in rows})
    return {
        name: {f: func(column([r for r in rows if r[SPECIES] == name], f)) for f in FEATURES}
        for name in names
    }


def expected_stats(rows: Rows) -> dict[str, Any]:
    """The statistics stats.json must hold."""
    columns = {f: column(rows, f) for f in FEATURES}
    return {
        "rows": len(rows),
        "species_counts": dict(Counter(row[SPECIES] for row in rows)),
        "means": per_species(rows, statistics.fmean),
        "std": per_species(rows, statistics.stdev),
        "correlation": {
            a: {b: statistics.correlation(columns[a], columns[b]) for b in FEATURES}
            for a in FEATURES
        },
    }


@dataclass(frozen=True)
class Change:
    """How the changed copy differs from the shipped file, for a check's message."""

    seed: int
    rows: int
    counts: dict[str, int]

    def describe(self) -> str:
        counts = ", ".join(f"{n} {name}" for name, n in sorted(self.counts.items()))
        return (
            f"a copy of data/iris.csv the check changed (seed {self.seed}: {self.rows} flowers, "
            f"{counts}; each measurement moved by up to 0.3 cm; rows shuffled)"
        )


def change_iris(source: Path, dest: Path, seed: int) -> Change:
    """Write to ``dest`` a changed copy of the Iris CSV at ``source``: each species keeps a
    different number of its flowers, every measurement moves, the rows are shuffled; the
    columns and their order stay those of the source."""
    rng = random.Random(seed)
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header, rows = list(reader.fieldnames or ()), list(reader)
    names = sorted({row[SPECIES] for row in rows})
    changed: Rows = []
    for name, size in zip(names, rng.sample(KEPT, len(names)), strict=True):
        own = [row for row in rows if row[SPECIES] == name]
        for row in rng.sample(own, min(size, len(own))):
            moved = {f: f"{max(float(row[f]) + rng.choice(MOVES), 0.1):.1f}" for f in FEATURES}
            changed.append({**row, **moved})
    rng.shuffle(changed)
    with dest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(changed)
    return Change(seed, len(changed), dict(Counter(row[SPECIES] for row in changed)))


# -- PNG files -------------------------------------------------------------------------------


def file_kind(data: bytes) -> str:
    """What a file that is not a PNG looks like, by its first bytes."""
    if data.startswith(b"\xff\xd8"):
        return "a JPEG image"
    if b"<svg" in data[:400]:
        return "an SVG drawing"
    if data.startswith(b"%PDF"):
        return "a PDF document"
    return "empty" if not data else "wrong signature"


def png_problem(data: bytes) -> str | None:
    """Why ``data`` is not a real, non-blank PNG of at least MIN_SIDE pixels (None when it is)."""
    if not data.startswith(SIGNATURE):
        return f"not a PNG file ({file_kind(data)})"
    width = height = 0
    idat: list[bytes] = []
    pos = len(SIGNATURE)
    while pos + 8 <= len(data):
        length, kind_ = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind_ == b"IHDR" and len(body) >= 8:
            width, height = struct.unpack(">II", body[:8])
        elif kind_ == b"IDAT":
            idat.append(body)
        elif kind_ == b"IEND":
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


def figures(folder: Path) -> tuple[dict[str, str], list[str]]:
    """The good PNG files in ``folder`` (name to sha256), and why each other one is not good."""
    good: dict[str, str] = {}
    bad: list[str] = []
    for path in sorted(folder.glob("*.png")) if folder.is_dir() else []:
        data = path.read_bytes() if path.is_file() else b""
        problem = png_problem(data)
        if problem:
            bad.append(f"{path.name}: {problem}")
        else:
            good[path.name] = hashlib.sha256(data).hexdigest()
    return good, bad


# -- the runs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Analyses:
    """analysis.py run on the shipped data and on the changed copy."""

    shipped: CleanRun
    changed: CleanRun
    change: Change


@pytest.fixture(scope="module")
def analyses(run: Run, clean_copy: CleanCopy, learner_python: Path, course_data: Path) -> Analyses:
    """Run `python analysis.py` in two clean copies of the week folder at once (once per
    module): one as it is, one whose data/iris.csv the check changed (a new seed each time)."""
    shipped, changed = clean_copy(*OUTPUTS), clean_copy(*OUTPUTS)
    (changed / DATA).parent.mkdir(parents=True, exist_ok=True)
    seed = random.SystemRandom().randrange(1, 1_000_000)
    change = change_iris(course_data / "iris" / "iris.csv", changed / DATA, seed)
    runs = run_clean_all(
        run,
        learner_python,
        "analysis.py",
        {"shipped": shipped, "changed": changed},
        timeout=RUN_TIMEOUT,
        env={"MPLBACKEND": "Agg"},
        preload=PRELOAD,
    )
    return Analyses(runs["shipped"], runs["changed"], change)


@pytest.fixture(scope="module")
def analysis_run(analyses: Analyses) -> CleanRun:
    """The clean run on the shipped data."""
    return analyses.shipped


@pytest.fixture(scope="module")
def finished_run(analysis_run: CleanRun) -> CleanRun:
    """The clean run, or the check is blocked because analysis.py did not finish."""
    return finished(analysis_run, "outputs")


def read_stats(folder: Path) -> dict[str, Any] | None:
    """reports/stats.json of a run, or None when it is missing or not a JSON object."""
    try:
        data = json.loads((folder / "reports" / "stats.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@pytest.fixture(scope="module")
def stats(finished_run: CleanRun) -> dict[str, Any]:
    """reports/stats.json as written by the clean run, or blocked when it is unusable."""
    data = read_stats(finished_run.folder)
    if data is None:
        blocked(
            "reports/stats.json is missing or is not a JSON object",
            hint="Make the check 'analysis.py writes reports/stats.json' pass first.",
        )
    return data
