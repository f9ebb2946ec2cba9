"""Week 1: explore the Iris data set with pandas, matplotlib and seaborn.

Run it from this folder, with the workspace virtual environment:

    python analysis.py

When you are done it writes:
    reports/stats.json      row count, species counts, per-species means and
                            standard deviations, and the feature correlations
    reports/figures/*.png   at least two figures (for example a seaborn pair plot
                            and box plots of each feature by species)

Work through the TODOs in order; README.md describes the exact JSON layout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

HERE = Path(__file__).resolve().parent
DATA_FILE = HERE / "data" / "iris.csv"
REPORTS_DIR = HERE / "reports"
FIGURES_DIR = REPORTS_DIR / "figures"
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
TARGET = "species"


def load_data(path: Path = DATA_FILE) -> pd.DataFrame:
    """Read the Iris CSV into a DataFrame."""
    return pd.read_csv(path)


def summarize(df: pd.DataFrame) -> dict[str, Any]:
    """Compute the statistics that go into reports/stats.json.

    Return a dict shaped like this (plain Python ints and floats, not numpy types):

        {
          "rows": 150,
          "species_counts": {"setosa": 50, ...},
          "means": {"setosa": {"sepal_length": 5.006, ...}, ...},
          "std":   {"setosa": {"sepal_length": 0.352, ...}, ...},   # sample std, ddof=1
          "correlation": {"petal_length": {"petal_width": 0.963, ...}, ...}  # Pearson, 4x4
        }
    """
    # TODO 1: group by species with df.groupby(TARGET)[FEATURES] and use .mean() and .std().
    # TODO 2: count the species with value_counts().
    # TODO 3: correlate the four features over the whole data set with .corr().
    raise NotImplementedError("TODO 1-3: compute the statistics in summarize()")


def make_figures(df: pd.DataFrame, out_dir: Path = FIGURES_DIR) -> list[Path]:
    """Draw at least two figures into out_dir as PNG files and return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # TODO 4: a seaborn pair plot coloured by species: sns.pairplot(df, hue=TARGET).
    #         It returns a grid; save grid.figure with .savefig(out_dir / "pairplot.png").
    # TODO 5: at least one more figure (box plots or histograms) with plt.subplots().
    #         Close each figure with plt.close(fig) once it is saved.
    raise NotImplementedError("TODO 4-5: draw and save the figures in make_figures()")


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write data as indented JSON, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main() -> int:
    df = load_data()
    print(f"Loaded {len(df)} rows and {df.shape[1]} columns from {DATA_FILE.name}")
    try:
        stats = summarize(df)
        write_json(stats, REPORTS_DIR / "stats.json")
        print(f"Wrote {REPORTS_DIR / 'stats.json'}")
        for path in make_figures(df):
            print(f"Wrote {path}")
    except NotImplementedError as todo:
        print(f"Not finished yet: {todo}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
