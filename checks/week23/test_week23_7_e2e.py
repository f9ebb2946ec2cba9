"""Week 23: one command runs the loop, from new data to a new model in production.

`make e2e NEW_DATA=batch.csv PORT=port` runs twice, each time in a fresh clean copy of the week
folder (no tracking store, models or reports), with MLFLOW_TRACKING_URI naming mlflow.db in the
copy (the ``e2e_runs`` fixture): first on the check's drifted batch of labelled sales (nine
columns moved, prices as they were), then on an unshifted one, each sampled with a new seed.
What happened is read from what the run left, with the real tools: each copy's MLflow registry
(read and its models loaded by MLflow in the learner's interpreter), the Evidently report
reports/drift.json, and reports/e2e.json, where the predict step records what it sent to the API
and what the API answered.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import pytest
from conftest import E2E_PROBE_TIMEOUT, E2E_TIMEOUT, E2eRun

from mlops_checks.drift_reports import ReportProblem, read_report
from mlops_roadmap.checking import blocked, expect, expect_none, fail

E2E_JSON, DRIFT_JSON, STORE = "reports/e2e.json", "reports/drift.json", "mlflow.db"
THRESHOLD = 0.3  # week 21's default share of drifted columns
BETTER = 0.8  # the retrained champion's RMSE on the batch, at most this share of the first's
TAIL = 25
RUNS_TITLE = "`make e2e NEW_DATA=... PORT=...` runs the loop in a clean copy and leaves its traces"
CONTRACT = (
    "Write the e2e target: train and register a model with the alias champion (MLflow, "
    "MLFLOW_TRACKING_URI from the environment), serve it under uvicorn on $(PORT), send a "
    "prediction request for houses of $(NEW_DATA) and record it in reports/e2e.json "
    '({"model", "version", "houses", "predictions"}), run drift.py on $(NEW_DATA) against the '
    "training data, and retrain on the training data plus $(NEW_DATA) only when it finds drift."
)
pytestmark = [
    pytest.mark.requires("make"),
    pytest.mark.timeout(E2E_TIMEOUT + E2E_PROBE_TIMEOUT + 120),  # the two runs go at once
]


def store(ran: E2eRun) -> dict[str, Any]:
    """What the probe read from the run's registry, or the check is blocked."""
    if "crash" in ran.answer or ran.answer.get("imports", {}).get("errors"):
        problem = ran.answer.get("crash") or "; ".join(ran.answer["imports"]["errors"])
        blocked(
            f"MLflow could not read the store `{ran.command}` left: {problem}",
            hint="Install mlflow and pandas in the workspace virtual environment.",
        )
    found = dict(ran.answer.get("store") or {})
    if not found or found.get("error"):
        blocked(
            f"no registry to read after `{ran.command}`: {found.get('error') or 'no ' + STORE}",
            hint=f"Make the check '{RUNS_TITLE}' pass first.",
        )
    return found


def record(ran: E2eRun) -> dict[str, Any]:
    """reports/e2e.json of the run, or the check is blocked."""
    try:
        found = json.loads((ran.copy / E2E_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        blocked(
            f"no {E2E_JSON} to read after `{ran.command}`: {exc}",
            hint=f"Make the check '{RUNS_TITLE}' pass first.",
        )
    if not isinstance(found, dict):
        blocked(f"{E2E_JSON} holds no object", hint=f"Make the check '{RUNS_TITLE}' pass first.")
    return found


def versions_of(found: dict[str, Any], model: str) -> list[dict[str, Any]]:
    """The registered versions of one model, oldest first."""
    return sorted(
        (v for v in found.get("versions", []) if v.get("model") == model),
        key=lambda v: int(v["version"]),
    )


def champion(found: dict[str, Any]) -> dict[str, Any] | None:
    return next((v for v in found.get("versions", []) if "champion" in v.get("aliases", [])), None)


@pytest.mark.points(2)
def test_e2e_runs(e2e_runs: dict[str, E2eRun]) -> None:
    """`make e2e NEW_DATA=... PORT=...` runs the loop in a clean copy and leaves its traces"""
    problems = []
    for ran in e2e_runs.values():
        result = ran.result
        if result.timed_out or result.returncode != 0:
            status = "timed out" if result.timed_out else f"exit status {result.returncode}"
            problems.append(f"`{ran.command}` ({ran.name} batch): {status}:\n{result.tail(TAIL)}")
            continue
        missing = [f for f in (STORE, E2E_JSON, DRIFT_JSON) if not (ran.copy / f).is_file()]
        if missing:
            problems.append(
                f"`{ran.command}` ({ran.name} batch) exited 0 without leaving "
                f"{', '.join(missing)}; it printed:\n{result.tail(8)}"
            )
    expect_none(
        problems,
        expected=f"`make e2e NEW_DATA=<batch.csv> PORT=<port>` to exit 0 in a clean copy of the "
        f"week folder on the check's drifted and unshifted batches, leaving its MLflow store "
        f"({STORE}, MLFLOW_TRACKING_URI), {E2E_JSON} and {DRIFT_JSON}",
        hint=CONTRACT,
        shown=2,
    )


@pytest.mark.points(3)
def test_e2e_retrains_on_drift(e2e_runs: dict[str, E2eRun]) -> None:
    """On the drifted batch the loop registers a newer champion, retrained on the batch"""
    ran = e2e_runs["drifted"]
    found = store(ran)
    best = champion(found)
    if best is None:
        fail(
            expected="a registered model version with the alias champion",
            found=f"{len(found.get('versions', []))} registered version(s), none with the alias "
            "champion",
            hint="Register the trained model and set the alias: "
            "MlflowClient().set_registered_model_alias(name, 'champion', version).",
        )
    mine = versions_of(found, best["model"])
    first = mine[0]
    expect(
        best["version"] != first["version"],
        expected=f"after `{ran.command}` on the drifted batch, {best['model']} to have a "
        f"version registered after version {first['version']} (the first champion), holding "
        "the alias champion",
        found=f"versions {', '.join(v['version'] for v in mine)}; champion on version "
        f"{best['version']}",
        hint="When drift.py exits 1, retrain on the training data plus $(NEW_DATA), register "
        "the new model and move the alias champion to it.",
    )
    unscored = [f"version {v['version']}: {v['error']}" for v in (first, best) if v.get("error")]
    if unscored:
        blocked(
            f"MLflow could not load and score {best['model']} on the check's batch: "
            + "; ".join(unscored),
            hint="Log the model with mlflow.sklearn.log_model(...) and register that.",
        )
    before, after = first["batch_rmse"], best["batch_rmse"]
    expect(
        after <= BETTER * before,
        expected=f"the new champion (version {best['version']}) trained on data including the "
        f"check's batch: its RMSE on the batch at most {BETTER:.0%} of the first champion's "
        f"(version {first['version']}, ${before:,.0f})",
        found=f"${after:,.0f} ({after / before:.0%}): it predicts the batch no better, as if it "
        "never saw it",
        hint="Retrain on the training data plus the rows of $(NEW_DATA) (price included), e.g. "
        "pd.concat([train, pd.read_csv(new_data)]).",
    )


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=0.01)


def batch_rows(batch: Path) -> set[tuple[float, ...]]:
    """The numeric feature values of each house of the check's batch."""
    with batch.open(newline="", encoding="utf-8") as handle:
        return {row_key(row) for row in csv.DictReader(handle)}


NUMERIC = ("area", "lot_area", "overall_qual", "year_built", "total_bsmt_sf", "garage_cars")


def row_key(row: dict[str, Any]) -> tuple[float, ...]:
    try:
        return tuple(float(row[c]) for c in NUMERIC)
    except (KeyError, TypeError, ValueError):
        return ()


@pytest.mark.points(2)
def test_e2e_prediction_served(e2e_runs: dict[str, E2eRun]) -> None:
    """The prices the loop got over HTTP are what the registered model predicts for them"""
    problems = []
    for ran in e2e_runs.values():
        sent, served = record(ran), store(ran).get("served") or {}
        houses, prices = sent.get("houses"), sent.get("predictions")
        if not isinstance(houses, list) or not houses or not isinstance(prices, list):
            problems.append(f"{ran.name} batch: {E2E_JSON} has no houses and predictions lists")
            continue
        rows = batch_rows(ran.batch)
        strangers = sum(1 for h in houses if not isinstance(h, dict) or row_key(h) not in rows)
        if strangers:
            problems.append(
                f"{ran.name} batch: {strangers} of {len(houses)} houses sent are not rows of "
                "$(NEW_DATA)"
            )
            continue
        if served.get("error") or "predicted" not in served:
            problems.append(
                f"{ran.name} batch: {sent.get('model')} version {sent.get('version')} did not "
                f"predict: {served.get('error', 'not read')}"
            )
            continue
        expected = served["predicted"]
        numbers = [p for p in prices if isinstance(p, (int, float))]
        if len(numbers) != len(expected) or not all(map(close, numbers, expected)):
            problems.append(
                f"{ran.name} batch: the API answered {', '.join(f'{p:,.0f}' for p in numbers[:3])}"
                f"; {served['model']} version {served['version']} predicts "
                f"{', '.join(f'{p:,.0f}' for p in expected[:3])}"
            )
    expect_none(
        problems,
        expected=f"{E2E_JSON} to hold houses of $(NEW_DATA) sent to POST /predict and the "
        "predictions the API answered, and the registered version it names (model, version) "
        "to predict the same prices for them",
        hint="Serve the registered champion (load models:/<name>@champion, or its file) under "
        "uvicorn, POST the houses, and write the request's houses and the response's "
        "predictions as they were.",
        shown=2,
    )


def share(ran: E2eRun) -> float:
    try:
        return read_report(ran.copy / DRIFT_JSON).share
    except ReportProblem as exc:
        blocked(
            f"no drift report to read after `{ran.command}`: {exc}",
            hint=f"Make the check '{RUNS_TITLE}' pass first.",
        )


@pytest.mark.points(1)
def test_e2e_drift_found(e2e_runs: dict[str, E2eRun]) -> None:
    """The loop's drift check finds the check's shift, and none in the unshifted batch"""
    drifted, unshifted = share(e2e_runs["drifted"]), share(e2e_runs["unshifted"])
    expect(
        drifted >= THRESHOLD > unshifted,
        expected=f"{DRIFT_JSON}: a share of drifted columns of at least {THRESHOLD} on the "
        f"drifted batch (nine of 13 columns moved), below {THRESHOLD} on the unshifted one",
        found=f"{drifted:.3f} on the drifted batch, {unshifted:.3f} on the unshifted one",
        hint="Run drift.py with the training data as reference and $(NEW_DATA) as current.",
    )


@pytest.mark.points(2)
def test_e2e_gated(e2e_runs: dict[str, E2eRun]) -> None:
    """On the unshifted batch the loop keeps its champion: nothing is retrained"""
    ran = e2e_runs["unshifted"]
    found, sent = store(ran), record(ran)
    model, version = str(sent.get("model")), str(sent.get("version"))
    mine = versions_of(found, model)
    if not any(v["version"] == version for v in mine):
        blocked(
            f"{E2E_JSON} names {model} version {version}, which the registry does not hold",
            hint="Record the registered model and version the API served in reports/e2e.json.",
        )
    later = [v["version"] for v in mine if int(v["version"]) > int(version)]
    best = champion(found)
    now = best["version"] if best else "no version"
    expect(
        not later and now == version,
        expected=f"after `{ran.command}` on the unshifted batch, no version of {model} "
        f"registered after the one served (version {version}), which keeps the alias champion",
        found=f"version(s) {', '.join(later)} registered after it"
        if later
        else f"champion on {now}",
        hint="Retrain only when drift.py finds drift (exit status 1): exit 0 leaves the "
        "champion serving.",
    )
