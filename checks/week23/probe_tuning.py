"""The tuning runs in a learner's MLflow store, printed as one JSON line (run by the week 23
checks).

Runs in the learner's interpreter, never in the engine:

    python probe_tuning.py MARKER [--imports-only]

MLFLOW_TRACKING_URI names the store. The answer is MARKER + JSON:
    {"imports": {"versions": {...}, "errors": [...]},
     "store": {"parents": [{"run_id", "name", "start", "tags", "params", "metrics",
                            "children": [{"run_id", "name", "status", "params", "metrics"}]}],
               "versions": [{"model", "version", "run_id", "aliases", "created"}],
               "runs": n, "error": ...}}
A parent is any run named by another run's mlflow.parentRunId tag. Nothing here raises: a
failure is reported as text.
"""

from __future__ import annotations

import sys
from typing import Any

from mlops_probes import answer

MODULES = {"mlflow": "mlflow"}
MAX_RUNS = 5000  # runs read across every experiment: bounds the probe's time
PARENT = "mlflow.parentRunId"


def own_tags(tags: dict[str, str]) -> dict[str, str]:
    """The tags the learner set (MLflow's own mlflow.* tags left out)."""
    return {k: v for k, v in tags.items() if not k.startswith("mlflow.")}


def run_facts(run: Any) -> dict[str, Any]:
    return {
        "run_id": run.info.run_id,
        "name": run.info.run_name or "",
        "status": run.info.status,
        "start": run.info.start_time or 0,
        "tags": own_tags(dict(run.data.tags)),
        "params": dict(run.data.params),
        "metrics": dict(run.data.metrics),
    }


def versions(client: Any) -> list[dict[str, Any]]:
    """Every registered model version with its source run and the aliases on it."""
    found = []
    for model in client.search_registered_models():
        aliases = model.aliases or {}
        for version in client.search_model_versions(f"name = '{model.name}'"):
            number = str(version.version)
            found.append(
                {
                    "model": model.name,
                    "version": number,
                    "run_id": version.run_id or "",
                    "aliases": sorted(a for a, v in aliases.items() if str(v) == number),
                    "created": version.creation_timestamp or 0,
                }
            )
    return found


def store_facts() -> dict[str, Any]:
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient()
    experiments = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    runs = client.search_runs(experiments, max_results=MAX_RUNS) if experiments else []
    by_id = {r.info.run_id: r for r in runs}
    children: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        parent_id = run.data.tags.get(PARENT)
        if parent_id:
            children.setdefault(parent_id, []).append(run_facts(run))
    parents = []
    for parent_id, kids in children.items():
        parent = by_id.get(parent_id)
        facts = run_facts(parent) if parent else {"run_id": parent_id, "missing": True}
        parents.append({**facts, "children": kids})
    return {"parents": parents, "versions": versions(client), "runs": len(runs)}


def main(argv: list[str]) -> int:
    marker, *rest = argv
    return answer(marker, MODULES, rest, store_facts, "the tracking store")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
