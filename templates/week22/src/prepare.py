"""Stage `prepare`: data/raw/*.csv -> data/prepared/*.csv, driven by params.yaml.

Run it from the week folder (`dvc repro` does): `python src/prepare.py`.
It reads the `prepare` section of params.yaml, drops the training houses whose living area is
above `max_area` (a few very large houses pull a linear fit; the test set is left whole, so
scores stay comparable) and, from both files, the columns listed in `drop_columns`, and
writes the result to data/prepared/. It only reads data/raw/: a pipeline never edits raw data.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent.parent  # the week folder
RAW_DIR = HERE / "data" / "raw"
PREPARED_DIR = HERE / "data" / "prepared"
PARAMS_FILE = HERE / "params.yaml"
TARGET = "price"
SPLITS = ("train", "test")


def load_params() -> dict:
    """The `prepare` section of params.yaml."""
    return yaml.safe_load(PARAMS_FILE.read_text(encoding="utf-8"))["prepare"]


def prepare(df: pd.DataFrame, split: str, params: dict) -> pd.DataFrame:
    """One split without the dropped columns; the training split also without large houses."""
    drop_columns = list(params["drop_columns"])
    if TARGET in drop_columns:
        raise SystemExit(f"params.yaml: prepare.drop_columns must not hold '{TARGET}'")
    if split == "train":
        df = df[df["area"] <= params["max_area"]]
    return df.drop(columns=drop_columns)


def main() -> int:
    params = load_params()
    PREPARED_DIR.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        raw = pd.read_csv(RAW_DIR / f"{split}.csv")
        out = prepare(raw, split, params)
        out.to_csv(PREPARED_DIR / f"{split}.csv", index=False)
        print(f"data/prepared/{split}.csv: {len(out)} of {len(raw)} rows, {out.shape[1]} columns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
