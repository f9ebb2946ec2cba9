"""Week 23's loop checks judged both ways through the real CLI: `make e2e` run on the check's own
drifted and unshifted batches (test_week23_7_e2e.py) and week 21's drift checks run again on
the capstone's drift.py (test_week23_8_drift.py). The reference solution passes them, a loop
written differently passes them, the fresh scaffold fails them, and each wrong loop (a target
that only prints, a retrain that ignores the new batch, a retrain without drift, a prediction
pasted rather than served, a drift.py with its batches swapped) fails its own check.

Every case runs `make e2e` twice (training, serving, Evidently) or drift.py five times: all slow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from mlops_roadmap import course
from mlops_roadmap.commands import verify
from tests.conftest import REPO, Cli
from tests.test_week09_api import check, edit, outcomes
from tests.test_week23_cases import WEEK, Capstone

TITLES = {
    "runs": "`make e2e NEW_DATA=... PORT=...` runs the loop in a clean copy and leaves its traces",
    "retrains": "On the drifted batch the loop registers a newer champion, retrained on the batch",
    "served": "The prices the loop got over HTTP are what the registered model predicts for them",
    "drift": "The loop's drift check finds the check's shift, and none in the unshifted batch",
    "gated": "On the unshifted batch the loop keeps its champion: nothing is retrained",
}
DRIFT_TITLES = {
    "drift runs": "drift.py runs on each of the check's batches, exits 0 or 1 and writes its "
    "reports",
    "drift reports": "Every run's reports are an HTML page and an Evidently JSON report with tests",
    "stable": "On a stable batch of unseen houses drift.py finds no drift and exits 0",
    "shifted": "On a clearly shifted batch drift.py finds drift and exits 1",
    "printed": "The share drift.py prints is the share in its JSON report",
    "threshold": "--drift-share moves the decision: exit 1 exactly when the share reaches it",
    "reference": "The report takes the current batch as current and the reference as reference",
    "history": "reports/drift_history.csv gains one row per run, with the run's share",
}
ALL = TITLES | DRIFT_TITLES
SELECT_E2E = "week23_7_e2e"
SELECT_LOOP = "week23_7_e2e or week23_8_drift"
TIMEOUT = 1500


@pytest.fixture(scope="module")
def capstone(tmp_path_factory: pytest.TempPathFactory) -> Capstone:
    return Capstone(tmp_path_factory.mktemp("week23-loop"))


@pytest.mark.slow
def test_the_solution_passes_the_loop_and_drift_checks(cli: Cli, capstone: Capstone) -> None:
    week = capstone.reset()
    checks = check(cli, week, SELECT_LOOP, timeout=TIMEOUT)
    assert outcomes(checks, ALL) == dict.fromkeys(ALL, "passed"), checks


def rename(week: Path, name: str) -> None:
    for script in ("tune.py", "serve_predict.py"):
        edit(week / script, 'MODEL_NAME = "ames-price-tuned"', f'MODEL_NAME = "{name}"')


@pytest.mark.slow
def test_a_loop_written_differently_passes(cli: Cli, capstone: Capstone) -> None:
    """Another registered model name, another drift threshold, a wider search in the first
    training and ten houses priced."""
    week = capstone.reset()
    rename(week, "house-prices")
    makefile = week / "Makefile"
    edit(makefile, "DRIFT_SHARE ?= 0.3", "DRIFT_SHARE ?= 0.5")
    edit(
        makefile,
        "\t$(PYTHON) tune.py --alpha $(ALPHA)\n",
        "\t$(PYTHON) tune.py --alpha 1 --alpha 10\n",
    )
    edit(makefile, "serve_predict.py $(NEW_DATA)", "serve_predict.py --houses 10 $(NEW_DATA)")
    checks = check(cli, week, SELECT_E2E, timeout=TIMEOUT)
    assert outcomes(checks, TITLES) == dict.fromkeys(TITLES, "passed"), checks


@pytest.mark.slow
def test_the_scaffold_fails_the_loop_and_drift_checks(cli: Cli, tmp_path: Path) -> None:
    plan = course.load(REPO)
    week = plan.plan.week(WEEK)
    ws = verify.prepare(plan, week, tmp_path / "ws", with_solution=False)
    checks = check(cli, ws.week_dir(week), SELECT_LOOP, timeout=TIMEOUT)
    found = outcomes(checks, ALL)
    assert found["runs"] == "failed" and found["drift runs"] == "failed", checks
    assert "TODO: write the e2e target" in str(checks[TITLES["runs"]]["found"])
    assert set(found.values()) <= {"failed", "blocked"}, checks


ECHO = """e2e:  ## the loop on a new batch
\t@echo "python tune.py"
\t@echo "python serve_predict.py $(NEW_DATA): $$187,547"
\t@echo "drift: retraining"

demo:"""


def echoing(week: Path) -> None:
    """The e2e target replaced by one that prints the steps instead of running them."""
    path = week / "Makefile"
    text = path.read_text(encoding="utf-8")
    start, end = text.index("e2e:  ##"), text.index("demo:")
    path.write_text(text[:start] + ECHO + text[end + len("demo:") :], encoding="utf-8")


# case: (the check that fails, how the capstone is changed, what `found` names)
WRONG: dict[str, tuple[str, Callable[[Path], None], str]] = {
    "an e2e target that only prints": (
        "runs",
        echoing,
        "exited 0 without leaving mlflow.db, reports/e2e.json, reports/drift.json",
    ),
    "a retrain that ignores the new batch": (
        "retrains",
        lambda w: edit(
            w / "Makefile", "tune.py --alpha $(ALPHA) --add $(NEW_DATA)", "tune.py --alpha $(ALPHA)"
        ),
        "it predicts the batch no better, as if it never saw it",
    ),
    "a loop that retrains without drift": (
        "gated",
        lambda w: edit(w / "Makefile", "if [ $$status -eq 1 ]", "if [ $$status -le 1 ]"),
        "registered after it",
    ),
    "a prediction pasted rather than served": (
        "served",
        lambda w: edit(
            w / "serve_predict.py",
            '"predictions": answer["predictions"],',
            '"predictions": [round(p, -3) for p in answer["predictions"]],',
        ),
        "the API answered",
    ),
}
BLOCKED_AFTER_RUNS = ("retrains", "served", "drift", "gated")


@pytest.mark.slow
@pytest.mark.parametrize("case", list(WRONG), ids=lambda c: re.sub(r"\W+", "-", c).strip("-"))
def test_a_wrong_loop_fails_its_own_check(cli: Cli, capstone: Capstone, case: str) -> None:
    key, change, named = WRONG[case]
    week = capstone.reset()
    change(week)
    checks = check(cli, week, SELECT_E2E, timeout=TIMEOUT)
    expected = {**dict.fromkeys(TITLES, "passed"), key: "failed"}
    if key == "runs":  # nothing to read: the checks that read the run's traces wait
        expected |= dict.fromkeys(BLOCKED_AFTER_RUNS, "blocked")
    assert outcomes(checks, TITLES) == expected, checks
    assert named in str(checks[TITLES[key]]["found"]), checks[TITLES[key]]["found"]


RUN = "    snapshot = report.run(current[keep], reference[keep])  # current first, then reference\n"


@pytest.mark.slow
def test_a_drift_py_with_its_batches_swapped_fails_week_21s_checks(
    cli: Cli, capstone: Capstone
) -> None:
    week = capstone.reset()
    edit(week / "drift.py", RUN, "    snapshot = report.run(reference[keep], current[keep])\n")
    checks = check(cli, week, "week23_8_drift and (stable_batch or reference_is or printed)")
    assert outcomes(checks, DRIFT_TITLES) == {
        "stable": "failed",
        "printed": "passed",
        "reference": "failed",
    }, checks
    assert checks[DRIFT_TITLES["stable"]]["found"].endswith(" in reports/drift.json and exit 1")
    assert "taken as reference" in checks[DRIFT_TITLES["reference"]]["found"]
