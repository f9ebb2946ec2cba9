"""Week 7: housing_pipeline runs, in a fresh copy of the week whose data the check changed, with
``dag.test()`` in the Airflow environment and retries forced to 0: every task succeeds, the
model train returns predicts houses it never saw, data/metrics.json holds that model's score on
the run's test data, the max_rmse gate fails a run it must fail, and a rerun of the same date
overwrites its outputs."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import FIRST_PARSE, GATE, METRICS, Pipeline

from mlops_checks import HOLDOUT, TARGET
from mlops_checks.dag_runs import SUCCESS, DagRun
from mlops_checks.mlflow_probe import logged_rmse
from mlops_checks.scores import read_prices, rmse, same
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.checking import blocked, expect, expect_none, fail

MAX_HOLDOUT_RMSE = 32_000.0  # the reference's ridge scores about 25,000 on the held-out houses
pytestmark = pytest.mark.timeout(900)  # the probe: parse, migrate, three runs
TEST_TABLES = {"prepared": "data/prepared/test.csv", "raw": "data/raw/test.csv"}


def succeeded(pipeline: Pipeline) -> DagRun:
    """The first run, or blocked when it did not succeed."""
    first = pipeline.run("first", FIRST_PARSE)
    if first.state != SUCCESS:
        blocked("the first run of housing_pipeline failed", hint=FIRST_RUN_HINT)
    return first


FIRST_RUN_HINT = "Make the check 'A full run of housing_pipeline succeeds' pass first."


@pytest.mark.points(3)
def test_full_run(pipeline: Pipeline, record_property: Callable[[str, object], None]) -> None:
    """A full run of housing_pipeline succeeds: every task ends in success"""
    first = pipeline.run("first", FIRST_PARSE)
    expect(
        first.state == SUCCESS and not first.failed_tasks and first.tasks,
        expected="`dag.test()` (as `airflow dags test housing_pipeline`) in a fresh copy of the "
        f"week ({pipeline.changed}; retries forced to 0) to end with every task in success",
        found=first.summary(),
        hint="source env.sh, run `airflow dags test housing_pipeline` and fix the first failing "
        "task (its log is in the output); build paths from Path(__file__), not the working "
        "directory.",
    )
    record_property("run_seconds", round(first.seconds, 1))


def model_of(first: DagRun, copy: Path) -> dict[str, Any]:
    """What the probe found when it loaded the model train returned, or the check fails."""
    model = first.model
    returned = first.returns.get("train")
    expect(
        "error" not in model and "holdout" in model.get("predictions", {}),
        expected="train to return the path of the model it saved, one joblib.load reads and "
        "that predicts a table of the 13 feature columns",
        found=f"train returned {returned!r}: {model.get('error') or 'no model could be loaded'}",
        hint="joblib.dump(pipeline, MODEL) then `return str(MODEL)`, with MODEL under the week "
        "folder (WEEK / 'models' / 'model.joblib').",
    )
    path = Path(str(model["model"]))
    expect(
        path.resolve().is_relative_to(copy.resolve()),
        expected="the model saved inside the week folder the DAG runs from",
        found=f"train saved it at {path}, outside the copy of the week the check ran",
        hint="Build every path from WEEK = Path(__file__).resolve().parents[1].",
    )
    return model


@pytest.mark.points(2)
def test_model_predicts_held_out_houses(
    pipeline: Pipeline, held_out: HeldOut, record_property: Callable[[str, object], None]
) -> None:
    """The model train saved reloads and predicts houses it has never seen"""
    model = model_of(succeeded(pipeline), pipeline.copy)
    prices = held_out.column(HOLDOUT, TARGET)
    predicted = model["predictions"]["holdout"]
    expect(
        len(predicted) == len(prices),
        expected=f"one prediction per house ({len(prices)})",
        found=f"{len(predicted)} predictions",
    )
    found = rmse(prices, predicted)
    record_property("holdout_rmse", round(found))
    expect(
        found <= MAX_HOLDOUT_RMSE,
        expected=f"an RMSE of at most ${MAX_HOLDOUT_RMSE:,.0f} on {len(prices)} houses the "
        "model has never seen",
        found=f"an RMSE of ${found:,.0f}",
        hint="Fit the week 2 pipeline (scaled numbers, one-hot neighborhood and building_type, "
        "a linear model) on all of prepared/train.csv.",
    )


def metrics_rmse(text: str | None) -> float | None:
    try:
        metrics = json.loads(text or "")
    except ValueError:
        return None
    return logged_rmse(metrics) if isinstance(metrics, dict) else None


@pytest.mark.points(2)
def test_metrics_are_the_models(pipeline: Pipeline) -> None:
    """data/metrics.json holds the RMSE of the model on the run's test data"""
    first = succeeded(pipeline)
    model = model_of(first, pipeline.copy)
    text = first.read.get(METRICS)
    logged = metrics_rmse(text)
    expect(
        logged is not None,
        expected=f'{METRICS} with the test RMSE: {{"rmse": ...}}',
        found=f"{METRICS}: {text[:200]!r}" if text else f"no {METRICS} after the run",
        hint="In evaluate: METRICS.write_text(json.dumps({'rmse': rmse})), METRICS = WEEK / "
        "'data' / 'metrics.json'.",
    )
    assert logged is not None
    scores = {}
    for table, rel in TEST_TABLES.items():
        predicted = model["predictions"].get(table)
        if predicted is not None:
            prices = read_prices(pipeline.copy / rel)
            if len(prices) == len(predicted):
                scores[rel] = rmse(prices, predicted)
    expect(
        any(same(logged, score) for score in scores.values()),
        expected="the RMSE the model scores on the test data of the run ("
        + ", ".join(f"{rel}: {score:,.2f}" for rel, score in scores.items())
        + f"); the check changed the copy's data: {pipeline.changed}",
        found=f"rmse {logged:,.2f} in {METRICS}",
        hint="Compute it in evaluate from the saved model's predictions on prepared/test.csv; "
        "never paste a number from an earlier run.",
    )


@pytest.mark.points(2)
def test_gate_fails_a_bad_model(pipeline: Pipeline, dag: dict[str, Any]) -> None:
    """A run with max_rmse=1 fails at evaluate, after train succeeds (the gate)"""
    expect(
        "max_rmse" in dag["params"],
        expected="a DAG param max_rmse: the highest test RMSE evaluate accepts",
        found=f"params: {', '.join(dag['params']) or 'none'}",
        hint="DAG(..., params={'alpha': Param(1.0, type='number'), 'max_rmse': Param(40_000, "
        "type='number')}), read in evaluate as params['max_rmse'].",
    )
    succeeded(pipeline)
    gate = pipeline.run("gate")
    tasks = gate.tasks
    if tasks.get("train") != SUCCESS:
        fail(
            expected=f"preprocess and train to succeed with conf {GATE}",
            found=gate.summary(),
            hint="Only evaluate reads max_rmse; a run's conf must not break the others.",
        )
    expect(
        tasks.get("evaluate") == "failed",
        expected=f"evaluate to fail on a run with conf {GATE}: no model is within a dollar",
        found=gate.summary(),
        hint="In evaluate: `if rmse > params['max_rmse']: raise ValueError(...)`, with params "
        "taken from the task's context (a `params` argument), not a constant.",
    )


@pytest.mark.points(2)
def test_rerun_overwrites(pipeline: Pipeline) -> None:
    """A second run on the same date overwrites the first run's outputs"""
    first = succeeded(pipeline)
    second = pipeline.run("second")
    expect(
        second.state == SUCCESS,
        expected="a second run on the same logical date to succeed too",
        found=second.summary(),
        hint="Each task must run again over its own earlier outputs: mkdir(exist_ok=True), "
        "overwrite files.",
    )
    new = [f"{path} is new" for path in sorted(set(second.files) - set(first.files))]
    grown = [f"{path} was appended to" for path in second.appended]
    expect_none(
        new + grown,
        expected="the second run to leave the same files as the first, each replaced whole",
        hint="Write to fixed paths built from Path(__file__) and replace them (to_csv, "
        "joblib.dump, write_text); never append, never add the time to a name.",
    )
    again = metrics_rmse(second.read.get(METRICS))
    before = metrics_rmse(first.read.get(METRICS))
    if before is not None and again is not None and not math.isclose(before, again, rel_tol=1e-6):
        fail(
            expected="the same RMSE from the same data and the same parameters",
            found=f"rmse {before:,.2f}, then {again:,.2f}",
            hint="Fix the model's randomness (random_state=0) so that a rerun reproduces it.",
        )
