"""Week 1: analysis.py runs from a clean start, its statistics follow the data, its figures are
real and drawn from the data.

analysis.py runs twice from a clean start (see conftest.py): on the shipped data/iris.csv, and
on a copy the check changed (flowers left out, measurements moved, rows shuffled). The expected
statistics are computed here from each run's own data with the standard library only
(conftest.py): numbers typed into the script, right for the shipped file only, fail.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from conftest import DATA, MIN_SIDE, Analyses, expected_stats, figures, read_iris, read_stats

from mlops_checks.clean_run import CleanRun, expect_ran
from mlops_roadmap.checking import expect, fail

SECTIONS = ("rows", "species_counts", "means", "std", "correlation")
REL_TOL = 1e-6
ABS_TOL = 1e-9
SHOWN = 4  # mismatches listed in a failure message
FOLLOW_HINT = (
    "Read data/iris.csv beside analysis.py (Path(__file__).parent / 'data' / 'iris.csv', never "
    "an absolute path to your own copy) and compute every number from the DataFrame you read "
    "(df.groupby(...), .corr()): never type results in, never assume 150 rows or 50 flowers per "
    "species. The check runs analysis.py on changed data too."
)
# Room for the clean runs of analysis.py (240 s at most), whichever check happens to start them.
pytestmark = pytest.mark.timeout(330)


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


def listed(problems: list[str]) -> str:
    shown = "; ".join(problems[:SHOWN])
    return shown + (f" (and {len(problems) - SHOWN} more)" if len(problems) > SHOWN else "")


def section_problems(run: CleanRun, stats: dict[str, Any], sections: tuple[str, ...]) -> list[str]:
    """Where the sections of a run's stats.json differ from the statistics of its own data."""
    truth = expected_stats(read_iris(run.folder / DATA))
    return mismatches({s: truth[s] for s in sections}, stats, "")


def changed_stats(analyses: Analyses) -> dict[str, Any]:
    """stats.json of the run on the changed copy, or fail saying why there is none."""
    run, where = analyses.changed, analyses.change.describe()
    if not run.ok:
        fail(
            expected=f"`python analysis.py` to run on {where}",
            found=run.problem,
            hint="It runs on the shipped file only: look for what assumes that exact file "
            "(150 rows, 50 flowers per species, a row at a fixed position).",
        )
    data = read_stats(run.folder)
    if data is None:
        fail(
            expected=f"reports/stats.json holding a JSON object after the run on {where}",
            found="missing, or not a JSON object",
            hint="Write stats.json from the statistics of the data you read, every run.",
        )
    return data


def compare_section(
    analyses: Analyses, stats: dict[str, Any], sections: tuple[str, ...], hint: str
) -> None:
    """Fail unless the sections of stats.json match the statistics recomputed from the data:
    on the shipped data/iris.csv, then on the changed copy."""
    what = " and ".join(sections)
    problems = section_problems(analyses.shipped, stats, sections)
    expect(
        not problems,
        expected=f"{what} in reports/stats.json to match data/iris.csv "
        f"(relative tolerance {REL_TOL:g})",
        found=listed(problems),
        hint=hint,
    )
    changed = changed_stats(analyses)
    problems = section_problems(analyses.changed, changed, sections)
    stale = not mismatches({s: stats.get(s) for s in sections}, changed, "")
    expect(
        not problems,
        expected=f"{what} in reports/stats.json to follow the data: on "
        f"{analyses.change.describe()}, the numbers of that copy (relative tolerance "
        f"{REL_TOL:g})",
        found=listed(problems) + (": the shipped file's numbers, unchanged" if stale else ""),
        hint=FOLLOW_HINT,
    )


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
        found=f"missing {', '.join(missing)}"
        + ("" if isinstance(data, dict) else f": it holds {json.dumps(data)[:80]}"),
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
            "df[FEATURES].corr() is the 4x4 Pearson correlation over all the rows.",
            "Correlate over the whole data set, not per species: df[FEATURES].corr().",
        ),
    ],
)
def test_statistics(
    analyses: Analyses, stats: dict[str, Any], keys: tuple[str, ...], hint: str
) -> None:
    """stats.json holds the statistics analysis.py computes from the data"""
    compare_section(analyses, stats, keys, hint=hint)


@pytest.mark.points(2)
@pytest.mark.hint("Save each figure with fig.savefig('reports/figures/NAME.png').")
def test_figures_are_real_pngs(finished_run: CleanRun, analyses: Analyses) -> None:
    """analysis.py draws at least two real PNG figures from the data"""
    shipped, bad = figures(finished_run.folder / "reports" / "figures")
    expect(
        len(shipped) >= 2,
        expected=f"at least two PNG figures of at least {MIN_SIDE}x{MIN_SIDE} pixels that are "
        "not blank in reports/figures/",
        found=f"{len(shipped)} good PNG file(s) in reports/figures/"
        + (f"; {listed(bad)}" if bad else ""),
        hint="Draw something on each figure before saving it, and save with .png; "
        "sns.pairplot(...).figure.savefig(...) and plt.subplots() + sns.boxplot(...) work.",
    )
    where = analyses.change.describe()
    if not analyses.changed.ok:
        fail(
            expected=f"analysis.py to draw its figures from {where}",
            found=analyses.changed.problem,
            hint="It runs on the shipped file only: look for what assumes that exact file.",
        )
    changed, bad = figures(analyses.changed.folder / "reports" / "figures")
    same = sorted(name for name, digest in changed.items() if digest in shipped.values())
    drawn = [name for name in changed if name not in same]
    found = f"{len(drawn)} figure(s) changed with the data"
    found += f"; byte for byte the same as from the shipped file: {', '.join(same)}" if same else ""
    found += f"; {listed(bad)}" if bad else ""
    expect(
        len(drawn) >= 2,
        expected=f"at least two good PNG figures that change when the data changes (drawn "
        f"from {where})",
        found=found,
        hint="Draw each figure from the DataFrame analysis.py reads (sns.pairplot(df, ...)) "
        "every run: an image saved once and copied into reports/figures/ does not show the "
        "data.",
    )
