"""What the DAG runs left in an MLflow store, printed as one JSON line (run by the week 8 checks).

Runs in the Airflow environment's interpreter, never in the engine:

    python probe_store.py MARKER DAG_ID MODEL ALIAS NAME=CSV ...

MLFLOW_TRACKING_URI names the store (the one the check gave the DAG). The answer is MARKER +
JSON: {"imports": {...}, "store": {"runs": [...], "versions": [...], "champion": {...} | null}}.
"runs" are the runs of every experiment tagged airflow_dag_id=DAG_ID, each with its tags,
params, metrics and logged models; each model loaded with mlflow.pyfunc predicts the table
named test. "versions" are MODEL's versions with their source runs; the version ALIAS points
to predicts every table. Tables lose their price column. Nothing here raises: each failure is
reported as text where it happened.
"""

from __future__ import annotations

import sys
from typing import Any

from mlops_probes import answer, error_text, estimator, predict

MODULES = {"mlflow": "mlflow", "sklearn": "scikit-learn", "pandas": "pandas"}
TARGET = "price"
MAX_RUNS = 10


def tables(specs: list[str]) -> dict[str, Any]:
    import pandas as pd

    out = {}
    for spec in specs:
        name, _, path = spec.partition("=")
        out[name] = pd.read_csv(path).drop(columns=[TARGET], errors="ignore")
    return out


def model_facts(uri: str, frames: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """A logged model loaded by URI: its estimator and its predictions on ``names``."""
    import mlflow

    facts: dict[str, Any] = {"uri": uri, "predictions": {}}
    try:
        model = mlflow.pyfunc.load_model(uri)
        facts["estimator"] = estimator(model)
        for name in names:
            facts["predictions"][name] = predict(model, frames[name])
    except Exception as exc:
        facts["error"] = error_text(exc)
    return facts


def run_facts(client: Any, run: Any, frames: dict[str, Any]) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "id": run.info.run_id,
        "experiment_id": run.info.experiment_id,
        "status": run.info.status,
        "tags": {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")},
        "params": run.data.params,
        "metrics": run.data.metrics,
        "models": [],
    }
    logged = client.search_logged_models(
        experiment_ids=[run.info.experiment_id],
        filter_string=f"source_run_id = '{run.info.run_id}'",
    )
    for model in logged:
        facts["models"].append(model_facts(model.model_uri, frames, ["test"]))
    return facts


def store_facts(dag_id: str, name: str, alias: str, specs: list[str]) -> dict[str, Any]:
    from mlflow import MlflowClient

    client = MlflowClient()
    frames = tables(specs)
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(
        experiments, f"tags.airflow_dag_id = '{dag_id}'", max_results=MAX_RUNS
    )
    versions, champion = [], None
    if client.search_registered_models(filter_string=f"name = '{name}'"):
        found = client.search_model_versions(f"name = '{name}'")
        versions = [{"version": str(v.version), "run_id": v.run_id or ""} for v in found]
        try:
            chosen = client.get_model_version_by_alias(name, alias)
        except Exception:
            chosen = None
        if chosen is not None:
            uri = f"models:/{name}@{alias}"
            champion = {"version": str(chosen.version), **model_facts(uri, frames, list(frames))}
    return {
        "runs": [run_facts(client, run, frames) for run in runs],
        "versions": sorted(versions, key=lambda v: int(v["version"])),
        "champion": champion,
        "experiments": len(experiments),
    }


def main(argv: list[str]) -> int:
    marker, dag_id, name, alias, *rest = argv
    return answer(
        marker, MODULES, rest, lambda: store_facts(dag_id, name, alias, rest), "the store"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
