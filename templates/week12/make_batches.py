"""Make this week's data from the course's Ames test set: a fixed holdout and two new batches.

Run it once from the week folder, with the workspace's .venv (pandas): python make_batches.py

    data/holdout.csv                 150 houses both models are compared on, never trained on
    data/batches/batch_stable.csv    201 houses like the training data
    data/batches/batch_shifted.csv   the same houses in a market of bigger, newer, dearer ones:
                                     four of the eleven numeric features drift
The reference (training) data is data/raw/train.csv.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

WEEK = Path(__file__).resolve().parent
DATA = WEEK / "data"


def shifted(batch: pd.DataFrame) -> pd.DataFrame:
    """Bigger, newer and dearer houses."""
    return batch.assign(
        area=(batch.area * 1.3).round().astype(int),
        total_bsmt_sf=(batch.total_bsmt_sf * 1.3).round().astype(int),
        year_built=batch.year_built + 20,
        year_remod=(batch.year_remod + 20).clip(upper=2010),
        price=(batch.price * 1.25).round().astype(int),
    )


def main() -> None:
    test = pd.read_csv(DATA / "raw" / "test.csv").sample(frac=1, random_state=0)
    (DATA / "batches").mkdir(parents=True, exist_ok=True)
    test.iloc[:150].to_csv(DATA / "holdout.csv", index=False)
    stable = test.iloc[150:]
    stable.to_csv(DATA / "batches" / "batch_stable.csv", index=False)
    shifted(stable).to_csv(DATA / "batches" / "batch_shifted.csv", index=False)


if __name__ == "__main__":
    main()
