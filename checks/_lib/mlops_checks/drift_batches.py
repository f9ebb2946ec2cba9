"""The batches a drift check owns, made in the standard library from held-out house rows.

Each batch samples the 380 held-out Ames sales (features only: the learner's code never sees
their prices) with a new seed per check run, so no script can learn the batches. Measured with
Evidently 0.7.23 and the default DataDriftPreset against data/raw/train.csv (2,192 rows, 13
input columns), on five seeds each:

- ``stable``: the sample as it is: share 0.077 (only neighborhood, 28 codes in 300 rows),
  far below the lesson's 0.3;
- ``shifted``: nine columns moved hard (below): share 0.769, far above 0.3 and below 0.9;
- ``mild``: two columns moved: share 0.154 (0.23 with neighborhood), above 0.1 and below 0.3.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

SAMPLE = 300  # rows of each batch, of the 380 held-out sales
Row = dict[str, str]
Move = Callable[[float], float]

# What the shifted batch does to nine of the 13 columns (neighborhood, building_type, bedrooms
# and fireplaces stay as they are): bigger, newer, better houses with more baths and garages.
SHIFTS: dict[str, Move] = {
    "area": lambda v: v * 1.4,
    "lot_area": lambda v: v * 1.5,
    "total_bsmt_sf": lambda v: v * 1.4,
    "year_built": lambda v: v + 25,
    "year_remod": lambda v: v + 25,
    "overall_qual": lambda v: min(v + 2, 10),
    "overall_cond": lambda v: max(v - 2, 1),
    "full_bath": lambda v: v + 1,
    "garage_cars": lambda v: min(v + 1, 4),
}
MILD: dict[str, Move] = {"area": lambda v: v * 1.5, "total_bsmt_sf": lambda v: v * 1.5}


@dataclass(frozen=True)
class Batches:
    """The check's CSV files and how they were made, for the checks' messages."""

    seed: int
    reference: Path  # the training data as the week lays it (price included)
    reference_rows: int
    stable: Path
    shifted: Path
    mild: Path
    columns: tuple[str, ...]

    def describe(self, name: str) -> str:
        """What one batch is, in a few words."""
        moved = {"shifted": SHIFTS, "mild": MILD}.get(name, {})
        what = f"{SAMPLE} held-out houses (seed {self.seed})"
        if not moved:
            return f"the stable batch: {what}, as they are"
        return f"the {name} batch: {what} with {', '.join(moved)} moved"


def read_rows(path: Path) -> tuple[list[str], list[Row]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or ()), list(reader)


def write_rows(path: Path, header: Sequence[str], rows: Sequence[Row]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=header, extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
    return path


def moved(rows: Sequence[Row], moves: dict[str, Move]) -> list[Row]:
    """The rows with each named column moved, kept whole numbers as the data has them."""
    return [
        {**row, **{c: str(round(move(float(row[c])))) for c, move in moves.items()}} for row in rows
    ]


def make_batches(features: Path, reference: Path, folder: Path, seed: int) -> Batches:
    """Write the check's batches into ``folder``: samples of the held-out ``features`` (a
    features-only CSV), and a copy of the ``reference``."""
    folder.mkdir(parents=True, exist_ok=True)
    header, rows = read_rows(features)
    sample = random.Random(seed).sample(rows, min(SAMPLE, len(rows)))
    ref_header, ref_rows = read_rows(reference)
    # neutral names: nothing in a file name tells a script what the check expects of it
    names = random.Random(seed + 1).sample(range(100, 1000), 3)
    return Batches(
        seed=seed,
        reference=write_rows(folder / "reference.csv", ref_header, ref_rows),
        reference_rows=len(ref_rows),
        stable=write_rows(folder / f"batch-{names[0]}.csv", header, sample),
        shifted=write_rows(folder / f"batch-{names[1]}.csv", header, moved(sample, SHIFTS)),
        mild=write_rows(folder / f"batch-{names[2]}.csv", header, moved(sample, MILD)),
        columns=tuple(c for c in ref_header if c in header),
    )


def labelled_batches(sales: Path, folder: Path, seed: int) -> tuple[Path, Path]:
    """Two new batches of labelled sales (features and price) sampled from ``sales``, for a
    loop that retrains on them: the sample as it is, and the same houses with the shifted
    batch's nine columns moved and their prices as they were."""
    folder.mkdir(parents=True, exist_ok=True)
    header, rows = read_rows(sales)
    sample = random.Random(seed).sample(rows, min(SAMPLE, len(rows)))
    names = random.Random(seed + 1).sample(range(100, 1000), 2)
    return (
        write_rows(folder / f"sales-{names[0]}.csv", header, sample),
        write_rows(folder / f"sales-{names[1]}.csv", header, moved(sample, SHIFTS)),
    )
