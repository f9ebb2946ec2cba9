"""The tuning runs in a learner's MLflow store, printed as one JSON line (run by the week 23
checks).

Runs in the learner's interpreter, never in the engine:

    python probe_tuning.py MARKER (--imports-only | holdout=CSV)

MLFLOW_TRACKING_URI names the store. The answer is MARKER + JSON:
    {"imports": {"versions": {...}, "errors": [...]},
     "store": {"parents": [{"run_id", "name", "start", "tags", "params", "metrics",
                            "children": [{"run_id", "name", "status", "params", "metrics",
                                          "model", "predictions" | "model_error"}]}],
               "versions": [{"model", "version", "run_id", "aliases", "created"}],
               "runs": n, "error": ...}}
A parent is any run named by another run's mlflow.parentRunId tag. The finished children of the
parents the checks judge first (MAX_PARENTS, MAX_CHILDREN each) load the model they logged with
mlflow.pyfunc and predict the houses of the CSV (features only: the prices stay with the checks,
which score the predictions). Nothing here raises: a failure is reported as text.
"""

from __future__ import annotations

import json
import sys
import tempfile
from typing import Any

from mlops_probes import answer, error_text, predict, registered_versions

MODULES = {"mlflow": "mlflow", "pandas": "pandas"}
MAX_RUNS = 5000  # runs read across every experiment: bounds the probe's time
MAX_PARENTS = 3  # the newest parents' children are scored: bounds the probe's time
MAX_CHILDREN = 12
PARENT = "mlflow.parentRunId"
TARGET = "price"


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


def model_uri(client: Any, run: dict[str, Any], experiments: list[str]) -> str:
    """The model a run logged: its logged model (MLflow 3, any name), else runs:/ID/model."""
    found = client.search_logged_models(
        experiments, filter_string=f"source_run_id = '{run['run_id']}'", max_results=5
    )
    return str(found[0].model_uri) if found else f"runs:/{run['run_id']}/model"


def scored(client: Any, run: dict[str, Any], experiments: list[str], frame: Any) -> None:
    """The run's model loaded and asked for the frame's prices, or why not (in ``run``)."""
    import mlflow

    try:
        run["model"] = model_uri(client, run, experiments)
        with tempfile.TemporaryDirectory() as scratch:
            loaded = mlflow.pyfunc.load_model(run["model"], dst_path=scratch)
            run["predictions"] = predict(loaded, frame)
    except Exception as exc:
        run["model_error"] = error_text(exc)


def finished(parent: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in parent["children"] if c["status"] == "FINISHED"]


def tuning_order(parent: dict[str, Any]) -> tuple[int, int]:
    """The order the checks judge parents in: most distinct finished children, then newest."""
    distinct = {json.dumps(c["params"], sort_keys=True) for c in finished(parent)}
    return len(distinct), int(parent.get("start", 0))


def score_children(
    client: Any, parents: list[dict[str, Any]], experiments: list[str], holdout: str
) -> None:
    """The finished children of the newest parents predict the held-out houses."""
    import pandas as pd

    frame = pd.read_csv(holdout).drop(columns=[TARGET], errors="ignore")
    for parent in sorted(parents, key=tuning_order, reverse=True)[:MAX_PARENTS]:
        for child in finished(parent)[:MAX_CHILDREN]:
            scored(client, child, experiments, frame)


def store_facts(holdout: str | None = None) -> dict[str, Any]:
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
    if holdout:
        score_children(client, parents, experiments, holdout)
    return {"parents": parents, "versions": registered_versions(client), "runs": len(runs)}


def main(argv: list[str]) -> int:
    marker, *rest = argv
    holdout = next((a.partition("=")[2] for a in rest if a.startswith("holdout=")), None)
    return answer(marker, MODULES, rest, lambda: store_facts(holdout), "the tracking store")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
