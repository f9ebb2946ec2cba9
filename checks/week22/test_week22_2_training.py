"""Week 22: the pipeline retrains on new data, and the gate stops a worse candidate and
promotes a good one, run in fresh copies of the week folder (see conftest.py)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from conftest import APPENDED, MARGIN, TRAIN, WITHIN, GateRun, Gates, Retraining

from mlops_roadmap.checking import expect, fail

pytestmark = pytest.mark.timeout(900)  # two or three `dvc repro` runs
GATE_HINT = "Finish validate.py first: it must run from the week folder after `dvc repro`."


def short(value: str) -> str:
    return value[:12] + "…" if len(value) > 12 else value or "(none)"


@pytest.mark.points(3)
@pytest.mark.hint("`dvc repro` retrains when data/raw changes: data/raw is a dep of the pipeline.")
def test_retrains_on_new_data(retraining: Retraining) -> None:
    """New training rows make `dvc repro` retrain: the model's hash in dvc.lock changes"""
    if retraining.error:
        fail(
            expected="a DVC project in the week folder whose dvc.lock records the model, and "
            "`dvc repro` to run after the check appended rows to the training data",
            found=retraining.error,
            hint="From the week folder: `dvc init --subdir`, `dvc add data/raw`, `dvc repro`, "
            "and commit dvc.yaml, dvc.lock and data/raw.dvc.",
        )
    same = [p for p, h in retraining.after.items() if retraining.before.get(p) == h]
    expect(
        not same and bool(retraining.after),
        expected=f"after {APPENDED} rows were appended to {TRAIN}, `dvc repro` to retrain and "
        "record a new model hash in dvc.lock",
        found=", ".join(f"{p} kept its hash {short(retraining.before[p])}" for p in same)
        + (
            f" (the data's hash in dvc.lock: {short(retraining.data_before)} -> "
            f"{short(retraining.data_after)})"
        ),
        hint="The model stage must depend, directly or through prepare, on data/raw (deps:), "
        "and write the model as an out; a stage that reads a copy outside the pipeline never "
        "sees new data.",
    )


def champion_moved(run: GateRun, candidate: dict[str, float]) -> bool:
    after = run.champion_after or {}
    try:
        return math.isclose(float(after["rmse"]), candidate["rmse"], rel_tol=1e-6)
    except (KeyError, TypeError, ValueError):
        return False


def described(champion: dict[str, Any] | None) -> str:
    if champion is None:
        return "no readable JSON"
    try:
        return f"RMSE {float(champion['rmse']):,.0f}"
    except (KeyError, TypeError, ValueError):
        return f"{champion} (no number under 'rmse')"


def required(gates: Gates, key: str) -> GateRun:
    if gates.error:
        fail(
            expected="validate.py and metrics.json in the week folder",
            found=gates.error,
            hint=GATE_HINT,
        )
    return gates.runs[key]


@pytest.mark.points(2)
@pytest.mark.hint("All gates pass: exit 0 and write the candidate's metrics to the champion file.")
def test_gate_passes_and_promotes(gates: Gates) -> None:
    """validate.py exits 0 for a candidate within the margin, and the champion moves to it"""
    run = required(gates, "within")
    expect(
        run.returncode == 0,
        expected=f"validate.py to exit 0 with {run.scenario} (the lesson allows {MARGIN:.0%})",
        found=f"exit status {run.returncode}:\n{run.output}",
        hint="The relative gate compares the candidate's RMSE with the champion's times "
        "(1 + max_rmse_increase) from gates.yaml.",
    )
    expect(
        champion_moved(run, gates.candidate),
        expected=f"{gates.champion_file} to hold the candidate's metrics after the pass "
        f"(RMSE {gates.candidate['rmse']:,.0f})",
        found=f"{gates.champion_file} after the pass: {described(run.champion_after)} (the check "
        f"wrote a champion at RMSE {gates.candidate['rmse'] / WITHIN:,.0f})",
        hint="When every gate passes, write the candidate's metrics.json values to the "
        "champion file (gates.yaml: champion_metrics): the next candidate is compared with it.",
    )


@pytest.mark.points(3)
@pytest.mark.hint("The relative gate: fail when RMSE > champion RMSE x (1 + max_rmse_increase).")
def test_gate_stops_worse_than_champion(gates: Gates) -> None:
    """validate.py exits 1 for a candidate worse than the champion by more than the margin"""
    run = required(gates, "worse")
    expect(
        run.returncode == 1,
        expected=f"validate.py to exit 1 with {run.scenario} (the lesson allows {MARGIN:.0%})",
        found=f"exit status {run.returncode}:\n{run.output}",
        hint="Read the champion's metrics from the champion file and fail the relative gate "
        "(print FAIL with the numbers, exit 1) when the candidate's RMSE is more than "
        "max_rmse_increase above it. A gate that never exits 1 deploys every model.",
    )
    expect(
        not champion_moved(run, gates.candidate),
        expected="the champion to stay when a gate fails",
        found=f"{gates.champion_file} now holds the failed candidate: {run.champion_after}",
        hint="Promote only when every gate passed.",
    )


@pytest.mark.points(2)
@pytest.mark.hint("The absolute gates: max_rmse and min_accuracy from gates.yaml.")
def test_gate_stops_bad_params(gates: Gates) -> None:
    """After `dvc repro` with parameters that ruin the model, validate.py exits 1"""
    run = required(gates, "bad")
    if run.returncode == -2:
        fail(
            expected=f"`dvc repro` to run with {run.scenario.split(', then')[0]}",
            found=run.output,
            hint="train.model ridge with a large alpha must train (week 3's train.py does).",
        )
    expect(
        run.returncode == 1,
        expected=f"validate.py to exit 1 with {run.scenario}",
        found=f"exit status {run.returncode}:\n{run.output}",
        hint="Fail the absolute gates when RMSE is above max_rmse or accuracy below "
        "min_accuracy (gates.yaml), whatever the champion.",
    )
