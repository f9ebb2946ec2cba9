"""Week 1's checks judged both ways: submissions each check must fail (mutations of the reference
solution, grouped so that each run breaks each selected check once) and right submissions written
differently from the lesson (tests/fixtures/week01/) that every check must pass.

Every case runs the real CLI on one shared workspace (scaffold and virtual environment made once
per module, as `course verify` makes them); each case starts from a fresh copy of the scaffold.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap import venvs
from tests.conftest import FIXTURES, REPO, Cli
from tests.shared_week import Shared, prepare
from tests.test_week09_api import check, edit
from tests.timing import scaled

WEEK = 1
CASES = FIXTURES / "week01"
SOLUTION = REPO / "solutions" / "week01" / "analysis.py"
TITLES = {
    "venv": "A virtual environment exists at the workspace root",
    "libraries": "numpy, pandas, matplotlib and seaborn import in the virtual environment",
    "runs": "analysis.py runs from a clean start",
    "written": "analysis.py writes reports/stats.json",
    "counts": "stats.json counts the rows and each species correctly",
    "means": "stats.json has the right mean of each feature per species",
    "std": "stats.json has the right standard deviation of each feature per species",
    "correlation": "stats.json has the Pearson correlation between every pair of features",
    "figures": "analysis.py draws at least two real PNG figures from the data",
}
ANALYSIS = "runs or stat or figures"
ENVIRONMENT = "virtual_environment or libraries"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Shared:
    return prepare(tmp_path_factory, WEEK)


@pytest.fixture
def week(shared: Shared) -> Path:
    """The shared workspace's week folder, reset to the fresh scaffold."""
    return shared.reset()


def solved(week: Path) -> Path:
    """The week folder with the reference solution laid over the scaffold."""
    shutil.copy(SOLUTION, week / "analysis.py")
    return week / "analysis.py"


def outcomes(checks: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {key: checks[title]["outcome"] for key, title in TITLES.items() if title in checks}


# -- right submissions written from the lesson -------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        "right-numpy-argparse",
        pytest.param("right-stdlib-matplotlib", marks=pytest.mark.slow),
    ],
)
def test_right_submission_passes(cli: Cli, week: Path, case: str) -> None:
    shutil.copytree(CASES / case, week, dirs_exist_ok=True)
    checks = check(cli, week)
    assert outcomes(checks) == dict.fromkeys(TITLES, "passed"), checks


def test_a_venv_in_the_week_folder_is_used(cli: Cli, shared: Shared, week: Path) -> None:
    with shared.venv_away():
        venvs.layered(week / ".venv")
        checks = check(cli, week, ENVIRONMENT)
    assert outcomes(checks) == {"venv": "passed", "libraries": "passed"}


# -- wrong submissions: mutations of the reference solution ----------------------------------


def test_no_virtual_environment(cli: Cli, shared: Shared, week: Path) -> None:
    with shared.venv_away():
        checks = check(cli, week, ENVIRONMENT)
    assert outcomes(checks) == {"venv": "failed", "libraries": "blocked"}
    venv = checks[TITLES["venv"]]
    assert venv["found"] == "no .venv in the workspace root or in the week folder"
    assert venv["hint"] == "From the workspace root run `python -m venv .venv`."


def test_libraries_missing(cli: Cli, shared: Shared, week: Path) -> None:
    # A bare environment in the week folder (found first): only the standard library.
    with shared.venv_away():
        bare = [sys.executable, "-m", "venv", "--without-pip", str(week / ".venv")]
        subprocess.run(bare, check=True, capture_output=True, timeout=scaled(120))
        checks = check(cli, week, ENVIRONMENT)
    assert outcomes(checks) == {"venv": "passed", "libraries": "failed"}
    found = checks[TITLES["libraries"]]["found"]
    assert "No module named 'numpy'" in found, found


def shipped_stats() -> dict[str, Any]:
    """The statistics of the shipped data/iris.csv, as a learner's notebook would give them."""
    import pandas as pd

    df = pd.read_csv(REPO / "data" / "iris" / "iris.csv")
    features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    groups = df.groupby("species")[features]
    return {
        "rows": len(df),
        "species_counts": {k: int(v) for k, v in df["species"].value_counts().items()},
        "means": groups.mean().to_dict(orient="index"),
        "std": groups.std().to_dict(orient="index"),
        "correlation": df[features].corr().to_dict(),
    }


def saved_pngs(folder: Path) -> None:
    """Two real figures saved once, as a learner would keep them from a notebook."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    folder.mkdir(parents=True)
    for name, ys in (("pairplot.png", [3, 1, 2, 5]), ("boxplots.png", [1, 4, 2, 3])):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.plot([1, 2, 3, 4], ys)
        fig.savefig(folder / name, dpi=60)
        plt.close(fig)


def test_pasted_numbers_and_copied_figures(cli: Cli, week: Path) -> None:
    analysis = solved(week)
    edit(
        analysis,
        "    by_species = df.groupby(TARGET)[FEATURES]\n",
        f"    return json.loads({json.dumps(json.dumps(shipped_stats()))})\n"
        "    by_species = df.groupby(TARGET)[FEATURES]\n",
    )
    edit(
        analysis,
        "    out_dir.mkdir(parents=True, exist_ok=True)\n    return [",
        "    out_dir.mkdir(parents=True, exist_ok=True)\n"
        "    import shutil\n"
        "    return [Path(shutil.copy(p, out_dir)) for p in sorted((HERE / 'assets').glob('*'))]\n"
        "    return [",
    )
    saved_pngs(week / "assets")
    checks = check(cli, week, ANALYSIS)
    assert outcomes(checks) == {
        "runs": "passed",
        "written": "passed",
        "counts": "failed",
        "means": "failed",
        "std": "failed",
        "correlation": "failed",
        "figures": "failed",
    }
    means = checks[TITLES["means"]]
    assert (
        "to follow the data: on a copy of data/iris.csv the check changed (seed "
        in (means["expected"])
    )
    assert means["found"].startswith("means.setosa.sepal_length: expected ")
    assert means["found"].endswith(": the shipped file's numbers, unchanged")
    assert means["hint"].startswith("Read data/iris.csv beside analysis.py")
    counts = checks[TITLES["counts"]]["found"]
    assert counts.startswith("rows: expected ") and "found 150" in counts
    figures = checks[TITLES["figures"]]
    assert figures["found"] == (
        "0 figure(s) changed with the data; byte for byte the same as from the shipped file: "
        "boxplots.png, pairplot.png"
    )
    assert "an image saved once and copied into reports/figures/" in figures["hint"]


def test_population_std_spearman_fixed_row_count_one_figure(cli: Cli, week: Path) -> None:
    analysis = solved(week)
    edit(analysis, '"rows": int(len(df)),', '"rows": 150,')
    edit(analysis, "by_species.std(ddof=1)", "by_species.std(ddof=0)")
    edit(analysis, 'corr(method="pearson")', 'corr(method="spearman")')
    edit(
        analysis,
        "return [pair_plot(df, out_dir), box_plots(df, out_dir), petal_histogram(df, out_dir)]",
        "return [pair_plot(df, out_dir)]",
    )
    checks = check(cli, week, ANALYSIS)
    assert outcomes(checks) == {
        "runs": "passed",
        "written": "passed",
        "counts": "failed",
        "means": "passed",
        "std": "failed",
        "correlation": "failed",
        "figures": "failed",
    }
    counts = checks[TITLES["counts"]]
    assert "on a copy of data/iris.csv the check changed" in counts["expected"]
    assert re.fullmatch(r"rows: expected \d+, found 150", counts["found"]), counts["found"]
    assert not counts["found"].endswith("unchanged")  # species_counts do follow the data
    std = checks[TITLES["std"]]
    assert "match data/iris.csv" in std["expected"]  # wrong on the shipped file already
    assert std["found"].startswith("std.setosa.sepal_length: expected 0.35249, found 0.34")
    assert std["hint"] == "pandas' .std() divides by n-1 (ddof=1); np.std divides by n."
    assert checks[TITLES["correlation"]]["found"].startswith("correlation.sepal_length.")
    assert checks[TITLES["figures"]]["found"] == "1 good PNG file(s) in reports/figures/"


def test_reports_folder_assumed(cli: Cli, week: Path) -> None:
    analysis = solved(week)
    edit(analysis, "    path.parent.mkdir(parents=True, exist_ok=True)\n", "")
    checks = check(cli, week, ANALYSIS)
    assert outcomes(checks) == {
        "runs": "failed",
        "written": "blocked",
        "counts": "blocked",
        "means": "blocked",
        "std": "blocked",
        "correlation": "blocked",
        "figures": "blocked",
    }
    runs = checks[TITLES["runs"]]
    assert runs["found"].startswith("exit status 1:\n")
    assert "FileNotFoundError" in runs["found"] and "reports/stats.json" in runs["found"]


@pytest.mark.slow  # a full run like the other cases: kept out of the default run
def test_no_correlation_a_jpeg_and_a_blank_figure(cli: Cli, week: Path) -> None:
    analysis = solved(week)
    edit(analysis, '        "correlation": to_plain(df[FEATURES].corr(method="pearson")),\n', "")
    edit(
        analysis,
        'save_figure(fig, "boxplots.png", out_dir)',
        'save_figure(fig, "box.png", out_dir)',
    )
    edit(analysis, 'fig.savefig(path, dpi=100, bbox_inches="tight")',
         'fig.savefig(path, dpi=100, format="jpg" if path.name == "box.png" else "png")')  # fmt: skip
    edit(
        analysis,
        '    sns.histplot(data=df, x="petal_length", hue=TARGET, bins=30, ax=ax)\n'
        '    ax.set_title("Petal length")\n',
        '    ax.axis("off")\n',
    )
    checks = check(cli, week, ANALYSIS)
    assert outcomes(checks) == {
        "runs": "passed",
        "written": "failed",
        "counts": "passed",
        "means": "passed",
        "std": "passed",
        "correlation": "failed",
        "figures": "failed",
    }
    assert checks[TITLES["written"]]["found"] == "missing correlation"
    assert checks[TITLES["correlation"]]["found"] == "correlation: missing"
    assert re.fullmatch(
        r"1 good PNG file\(s\) in reports/figures/; box\.png: not a PNG file \(a JPEG image\); "
        r"petal_length_hist\.png: looks blank \(\d distinct byte values\)",
        checks[TITLES["figures"]]["found"],
    ), checks[TITLES["figures"]]["found"]


@pytest.mark.slow  # the shipped run draws every figure: about 10 s more
def test_runs_on_the_shipped_file_only(cli: Cli, week: Path) -> None:
    analysis = solved(week)
    edit(
        analysis,
        "    df = load_data()\n",
        "    df = load_data()\n"
        "    if len(df) != 150:\n"
        '        raise SystemExit(f"expected the 150 Iris flowers, got {len(df)}")\n',
    )
    checks = check(cli, week, ANALYSIS)
    assert outcomes(checks) == {
        "runs": "passed",
        "written": "passed",
        "counts": "failed",
        "means": "failed",
        "std": "failed",
        "correlation": "failed",
        "figures": "failed",
    }
    for key in ("counts", "means", "std", "correlation", "figures"):
        found = checks[TITLES[key]]["found"]
        assert found.startswith("exit status 1:\n"), found
        assert "expected the 150 Iris flowers, got " in found
    assert checks[TITLES["means"]]["hint"].startswith("It runs on the shipped file only")
