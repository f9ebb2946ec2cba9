"""Week 21's checks judged both ways: wrong submissions each check must fail (mutations of the
reference solution's drift.py) and right submissions written differently from the lesson
(tests/fixtures/week21/) that every check must pass.

Each case runs the real CLI on a workspace made as `course verify` makes it; every check run
imports Evidently once in the learner's interpreter (10-25 s of CPU), so the cases are in the
slow suite. The check's helpers are tested fast in test_week21_drift_helpers.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, Cli
from tests.test_week09_api import check, edit, make_week, outcomes

WEEK = 21
CASES = FIXTURES / "week21"
SCRIPT = "drift.py"
TITLES = {
    "libraries": "The week's libraries import in the workspace virtual environment",
    "runs": "drift.py runs on each of the check's batches, exits 0 or 1 and writes its reports",
    "reports": "Every run's reports are an HTML page and an Evidently JSON report with tests",
    "stable": "On a stable batch of unseen houses drift.py finds no drift and exits 0",
    "shifted": "On a clearly shifted batch drift.py finds drift and exits 1",
    "printed": "The share drift.py prints is the share in its JSON report",
    "threshold": "--drift-share moves the decision: exit 1 exactly when the share reaches it",
    "reference": "The report takes the current batch as current and the reference as reference",
    "history": "reports/drift_history.csv gains one row per run, with the run's share",
}
RUN = "    snapshot = report.run(current[keep], reference[keep])  # current first, then reference\n"


@pytest.mark.slow
@pytest.mark.parametrize("case", ["right-dataset-definition", "right-json-share"])
def test_right_submission_passes(cli: Cli, tmp_path: Path, case: str) -> None:
    week = make_week(tmp_path, WEEK, solved=False)
    shutil.copytree(CASES / case, week, dirs_exist_ok=True)
    checks = check(cli, week)
    assert outcomes(checks, TITLES) == dict.fromkeys(TITLES, "passed"), checks


@pytest.mark.slow
def test_reference_and_current_swapped(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(week / SCRIPT, RUN, "    snapshot = report.run(reference[keep], current[keep])\n")
    checks = check(cli, week, "stable_batch or reference_is or printed_share")
    assert outcomes(checks, TITLES) == {
        "stable": "failed",
        "printed": "passed",
        "reference": "failed",
    }, checks
    stable = checks[TITLES["stable"]]
    assert stable["expected"].startswith("on the stable batch: 300 held-out houses (seed ")
    assert stable["found"].endswith(" in reports/drift.json and exit 1")
    reference = checks[TITLES["reference"]]
    assert reference["found"].startswith("K-S p_value, "), reference["found"]
    assert reference["found"].endswith(
        "p_value: the tests for a reference of 1,000 rows or fewer, so the 300-row batch was "
        "taken as reference (and with the roles reversed, Jensen-Shannon distance, Wasserstein "
        "distance (normed))"
    ), reference["found"]
    assert reference["hint"].startswith("snapshot = report.run(current, reference)")


@pytest.mark.slow
def test_threshold_fixed_and_count_printed_as_share(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    script = week / SCRIPT
    edit(script, "DataDriftPreset(columns=inputs, drift_share=args.drift_share)",
         "DataDriftPreset(columns=inputs, drift_share=0.3)")  # fmt: skip
    edit(script, "    detected = share >= args.drift_share\n", "    detected = share >= 0.3\n")
    edit(script, "share {share:.4f} ", "share {drifted} ")
    checks = check(cli, week, "not libraries_import")
    assert outcomes(checks, TITLES) == {
        k: ("failed" if k in ("printed", "threshold") else "passed")
        for k in TITLES
        if k != "libraries"
    }, checks
    printed = checks[TITLES["printed"]]["found"]
    assert "reports/drift.json says 0.0769, drift.py printed 1, 13, 1, 0.3;" in printed, printed
    threshold = checks[TITLES["threshold"]]["found"]
    assert "(--drift-share 0.9): share 0.769 against 0.9, exit 1" in threshold, threshold
    assert "moved (--drift-share 0.1): share 0." in threshold, threshold
    assert threshold.endswith("against 0.1, exit 0"), threshold


@pytest.mark.slow
def test_target_compared(cli: Cli, tmp_path: Path) -> None:
    """A script that keeps price compares it whenever the current data has it: Evidently stops
    when the reference lacks it (the run with roles reversed)."""
    week = make_week(tmp_path, WEEK, solved=True)
    script = week / SCRIPT
    edit(script, "DataDriftPreset(columns=inputs, drift_share=args.drift_share)",
         "DataDriftPreset(drift_share=args.drift_share)")  # fmt: skip
    edit(script, RUN, "    snapshot = report.run(current, reference)\n")
    checks = check(cli, week, "runs_finish or stable_batch")
    assert outcomes(checks, TITLES) == {"runs": "failed", "stable": "passed"}, checks
    runs = checks[TITLES["runs"]]
    assert runs["found"].startswith(
        "on roles reversed: the stable batch as reference, the training data (price included) "
        "as current, it raised:\n"
    ), runs["found"]
    assert runs["found"].endswith("ValueError: Column (price) is partially present in data")
    assert runs["hint"].startswith("Compare the model's inputs only: drop the target (price)")


@pytest.mark.slow
def test_no_tests_and_no_history(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    script = week / SCRIPT
    edit(script, "Report(items, include_tests=True)", "Report(items)")
    edit(script, "    remember(args, len(current), drifted, share)\n", "")
    checks = check(cli, week, "reports_written or history or shifted_batch")
    assert outcomes(checks, TITLES) == {
        "reports": "failed",
        "shifted": "passed",
        "history": "failed",
    }, checks
    assert checks[TITLES["reports"]]["found"].endswith(": reports/drift.json holds no tests")
    assert checks[TITLES["history"]]["found"] == "no reports/drift_history.csv"


@pytest.mark.slow
def test_report_saved_as_python_text(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(week / SCRIPT, '    snapshot.save_json(str(REPORTS / "drift.json"))\n',
         '    (REPORTS / "drift.json").write_text(str(snapshot.dict()))\n')  # fmt: skip
    checks = check(cli, week, "reports_written or stable_batch")
    assert outcomes(checks, TITLES) == {"reports": "failed", "stable": "blocked"}, checks
    found = checks[TITLES["reports"]]["found"]
    assert found.startswith("drift.json is not JSON: a file starting \"{'metrics': [{'id': "), found
