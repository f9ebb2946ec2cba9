"""Week 1: explore the Iris data set with pandas, matplotlib and seaborn.

Run it from this folder, with the workspace virtual environment:

    python analysis.py

It writes:
    reports/stats.json      row count, species counts, per-species means and
                            standard deviations, and the feature correlations
    reports/figures/*.png   a pair plot, box plots and a petal-length histogram
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


def to_plain(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Turn a DataFrame into {row label: {column: float}} for JSON."""
    return {
        str(row): {str(col): float(value) for col, value in values.items()}
        for row, values in table.to_dict(orient="index").items()
    }


def summarize(df: pd.DataFrame) -> dict[str, Any]:
    """Compute the statistics that go into reports/stats.json."""
    by_species = df.groupby(TARGET)[FEATURES]
    counts = df[TARGET].value_counts().sort_index()
    return {
        "rows": int(len(df)),
        "species_counts": {str(name): int(n) for name, n in counts.items()},
        "means": to_plain(by_species.mean()),
        "std": to_plain(by_species.std(ddof=1)),
        "correlation": to_plain(df[FEATURES].corr(method="pearson")),
    }


def save_figure(fig: plt.Figure, name: str, out_dir: Path) -> Path:
    """Save a figure as PNG and close it."""
    path = out_dir / name
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def pair_plot(df: pd.DataFrame, out_dir: Path) -> Path:
    """Every feature against every other, coloured by species."""
    grid = sns.pairplot(df, hue=TARGET, vars=FEATURES, height=2.0)
    return save_figure(grid.figure, "pairplot.png", out_dir)


def box_plots(df: pd.DataFrame, out_dir: Path) -> Path:
    """One box plot per feature, split by species."""
    long = df.melt(id_vars=TARGET, value_vars=FEATURES, var_name="feature", value_name="cm")
    fig, ax = plt.subplots(figsize=(9, 5))
    sns.boxplot(data=long, x="feature", y="cm", hue=TARGET, ax=ax)
    ax.set_title("Iris measurements by species")
    return save_figure(fig, "boxplots.png", out_dir)


def petal_histogram(df: pd.DataFrame, out_dir: Path) -> Path:
    """Distribution of petal length per species."""
    fig, ax = plt.subplots(figsize=(7, 4))
    sns.histplot(data=df, x="petal_length", hue=TARGET, bins=30, ax=ax)
    ax.set_title("Petal length")
    return save_figure(fig, "petal_length_hist.png", out_dir)


def make_figures(df: pd.DataFrame, out_dir: Path = FIGURES_DIR) -> list[Path]:
    """Draw every figure into out_dir and return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [pair_plot(df, out_dir), box_plots(df, out_dir), petal_histogram(df, out_dir)]


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write data as indented JSON, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main() -> int:
    df = load_data()
    print(f"Loaded {len(df)} rows and {df.shape[1]} columns from {DATA_FILE.name}")
    stats = summarize(df)
    write_json(stats, REPORTS_DIR / "stats.json")
    print(f"Wrote {REPORTS_DIR / 'stats.json'}")
    for path in make_figures(df):
        print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
