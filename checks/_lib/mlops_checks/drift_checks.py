"""drift.py judged on the check's own batches: the checks week 21 teaches, collected unchanged
by the weeks that carry its drift.py on (the capstone, week 23) so they run again there.

drift.py tells the check's stable batch from its shifted one, with reports a pipeline can
read, a threshold that decides, and the reference where Evidently expects it. It runs five
times from one clean copy (the ``drift_runs`` fixture of ``mlops_checks.drift_fixtures``): the
stable, shifted and mildly shifted batches against the training data, and the stable batch as
the reference of the training data (roles reversed). Every number is read from the JSON each
run saved. A week collects the checks by importing them into one of its test modules (pytest
collects what a module holds); they keep their titles, points and markers.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from mlops_checks.drift_fixtures import (
    DEFAULT_SHARE,
    HISTORY,
    HTML,
    JSON,
    LOWERED,
    RAISED,
    DriftRuns,
    finished,
)
from mlops_checks.drift_reports import (
    LARGE_REFERENCE,
    SMALL_REFERENCE,
    is_html,
    printed_shares,
    prints_share,
)
from mlops_roadmap.checking import expect, expect_none

RUNS = ("stable", "shifted", "shifted-raised", "mild-lowered", "reversed")
RUN_HINT = "Run `python drift.py data/raw/train.csv data/raw/test.csv` from the week folder."
__all__ = [
    "test_history_kept",
    "test_printed_share_matches_report",
    "test_reference_is_the_reference",
    "test_reports_written",
    "test_runs_finish",
    "test_shifted_batch_fails",
    "test_stable_batch_passes",
    "test_threshold_decides",
]


def crash_hint(problems: str) -> str:
    if "partially present" in problems or "price" in problems:
        return (
            "Compare the model's inputs only: drop the target (price) from both frames before "
            "the report. The check's batches have no price, as real inputs do not."
        )
    if "FileNotFoundError" in problems or "No such file" in problems:
        return "Read the two CSV paths given on the command line (reference first, then current)."
    return RUN_HINT + " Fix the first error it shows."


@pytest.mark.points(2)
def test_runs_finish(drift_runs: DriftRuns) -> None:
    """drift.py runs on each of the check's batches, exits 0 or 1 and writes its reports"""
    problems = []
    for name in RUNS:
        ran = drift_runs.get(name)
        missing = [f for f in (HTML, JSON) if not (ran.kept / Path(f).name).is_file()]
        if ran.crashed:
            problems.append(f"on {drift_runs.describe(name)}, it raised:\n{ran.tail()}")
        elif ran.returncode not in (0, 1):
            problems.append(f"on {drift_runs.describe(name)}: exit status {ran.returncode}")
        elif missing:
            problems.append(
                f"on {drift_runs.describe(name)}: exit {ran.returncode} without writing "
                f"{' or '.join(missing)}; it printed:\n{ran.tail(3)}"
            )
    expect_none(
        problems,
        expected="`python drift.py REFERENCE CURRENT [--drift-share S]` in a clean copy of the "
        f"week folder to write {HTML} and {JSON} and exit 0 (no drift) or 1 (drift) on each "
        "of the check's batches",
        hint=crash_hint("\n".join(problems)),
        shown=2,
    )


@pytest.mark.points(1)
def test_reports_written(drift_runs: DriftRuns) -> None:
    """Every run's reports are an HTML page and an Evidently JSON report with tests"""
    problems = []
    for name in RUNS:
        ran = finished(drift_runs, name)
        if not is_html(ran.kept / "drift.html"):
            problems.append(f"on {drift_runs.describe(name)}: no HTML page at {HTML}")
        report = drift_runs.written(name)
        if not report.tests:
            problems.append(f"on {drift_runs.describe(name)}: {JSON} holds no tests")
    expect_none(
        problems,
        expected=f"each run to write {HTML} (for people) and {JSON} (for pipelines), the "
        "JSON with the preset's tests",
        hint="Report([DataDriftPreset(...)], include_tests=True).run(current, reference), then "
        "snapshot.save_html(...) and snapshot.save_json(...) on every run.",
        shown=2,
    )


def expect_decision(drift_runs: DriftRuns, name: str, drift: bool) -> None:
    ran = finished(drift_runs, name)
    share = drift_runs.report(name).share
    right = (share >= DEFAULT_SHARE) == drift and ran.returncode == int(drift)
    expect(
        right,
        expected=f"on {drift_runs.describe(name)}: "
        + (f"a share of at least {DEFAULT_SHARE} and exit 1" if drift else "exit 0 (no drift)"),
        found=f"a share of drifted columns of {share:.3f} in {JSON} and exit {ran.returncode}",
        hint="Pass the current batch first and the reference second to run(), compare the "
        "inputs only (without price), and exit 1 exactly when share >= --drift-share.",
    )


@pytest.mark.points(2)
def test_stable_batch_passes(drift_runs: DriftRuns) -> None:
    """On a stable batch of unseen houses drift.py finds no drift and exits 0"""
    expect_decision(drift_runs, "stable", drift=False)


@pytest.mark.points(2)
def test_shifted_batch_fails(drift_runs: DriftRuns) -> None:
    """On a clearly shifted batch drift.py finds drift and exits 1"""
    expect_decision(drift_runs, "shifted", drift=True)


@pytest.mark.points(1)
def test_printed_share_matches_report(drift_runs: DriftRuns) -> None:
    """The share drift.py prints is the share in its JSON report"""
    problems = []
    for name in RUNS:
        ran, share = finished(drift_runs, name), drift_runs.report(name).share
        if not prints_share(ran.output, share):
            printed = [f"{v:g}" for v, _ in printed_shares(ran.output)] or ["no share"]
            problems.append(
                f"on {drift_runs.describe(name)}: {JSON} says {share:.4f}, drift.py printed "
                f"{', '.join(printed)}"
            )
    expect_none(
        problems,
        expected="a line like 'share 0.154' (or '15.4%') with the share of drifted columns "
        f"that {JSON} holds",
        hint="Print the share you read from the snapshot's DriftedColumnsCount metric, the "
        "one the JSON report holds.",
        shown=2,
    )


@pytest.mark.points(2)
def test_threshold_decides(drift_runs: DriftRuns) -> None:
    """--drift-share moves the decision: exit 1 exactly when the share reaches it"""
    problems = []
    for name in RUNS:
        ran, share = finished(drift_runs, name), drift_runs.report(name).share
        threshold = drift_runs.threshold(name)
        if ran.returncode != int(share >= threshold):
            problems.append(
                f"on {drift_runs.describe(name)}: share {share:.3f} against {threshold:g}, "
                f"exit {ran.returncode}"
            )
    raised = drift_runs.report("shifted-raised").share
    expect(
        raised < RAISED,
        expected=f"the shifted batch's share below {RAISED}",
        found=f"{raised:.3f}: the check cannot raise the threshold above it",
        hint="Compare every input column the reference has, without price.",
    )
    expect_none(
        problems,
        expected=f"exit 1 when the share >= the threshold (--drift-share, {DEFAULT_SHARE} by "
        f"default), else 0: the shifted batch with --drift-share {RAISED} exits 0, the mild "
        f"one with --drift-share {LOWERED} exits 1",
        hint="Use args.drift_share both in DataDriftPreset(drift_share=...) and in the exit "
        f"decision, with {DEFAULT_SHARE} as its default.",
        shown=3,
    )


@pytest.mark.points(2)
def test_reference_is_the_reference(drift_runs: DriftRuns) -> None:
    """The report takes the current batch as current and the reference as reference"""
    methods = {n: set(drift_runs.report(n).methods.values()) for n in ("stable", "reversed")}
    rows = drift_runs.batches.reference_rows
    # A script that swaps the two gets, for the large reference, the tests of a small one, and
    # the other way round; tests chosen by the script itself are the same in both runs.
    swapped = all(methods.values()) and (
        methods["stable"] <= SMALL_REFERENCE and methods["reversed"] <= LARGE_REFERENCE
    )
    expect(
        not swapped,
        expected=f"with the {rows:,}-row training data as reference, the tests Evidently picks "
        f"for a reference of more than 1,000 rows ({', '.join(sorted(LARGE_REFERENCE))})",
        found=f"{', '.join(sorted(methods['stable']))}: the tests for a reference of 1,000 rows "
        "or fewer, so the 300-row batch was taken as reference (and with the roles reversed, "
        f"{', '.join(sorted(methods['reversed']))})",
        hint="snapshot = report.run(current, reference): the current data comes first.",
    )


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


@pytest.mark.points(1)
def test_history_kept(drift_runs: DriftRuns) -> None:
    """reports/drift_history.csv gains one row per run, with the run's share"""
    last = finished(drift_runs, RUNS[-1]).kept / "drift_history.csv"
    rows: list[dict[str, str]] = []
    if last.is_file():
        with last.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    shares = [drift_runs.report(name).share for name in RUNS]
    kept = [row.get("share") or "" for row in rows]
    found = [number(v) for v in kept]
    same = len(found) == len(shares) and all(
        math.isclose(a, b, abs_tol=5e-4) for a, b in zip(found, shares, strict=True)
    )
    expect(
        same,
        expected=f"after {len(RUNS)} runs in one folder, {HISTORY} with a share column and "
        f"{len(RUNS)} rows: {', '.join(f'{s:.3f}' for s in shares)}",
        found=f"{len(rows)} rows, shares {kept}" if last.is_file() else f"no {HISTORY}",
        hint="Append one row per run (time, files, threshold, share, decision) with "
        "csv.writer in mode 'a', writing the header only when the file is new.",
    )
