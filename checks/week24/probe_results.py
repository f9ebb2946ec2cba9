"""What an MLflow store logged, printed as one JSON line (run by the week 24 checks).

Runs in the learner's interpreter, never in the engine:

    python probe_results.py MARKER MAX_RUNS [--imports-only]

MLFLOW_TRACKING_URI names the store. The answer is MARKER + JSON:
    {"imports": {"versions": {...}, "errors": [...]},
     "store": {"runs": [{"id", "name", "experiment", "metrics": {key: value}}],
               "versions": [{"model", "version", "run_id", "aliases"}], "error": ...}}
with the newest MAX_RUNS runs of every experiment and every registered model version.
"""

from __future__ import annotations

import sys
from typing import Any

from mlops_probes import answer

MODULES = {"mlflow": "mlflow"}


def read(max_runs: int) -> dict[str, Any]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    experiments = client.search_experiments()
    runs = []
    for experiment in experiments:
        found = client.search_runs([experiment.experiment_id], max_results=max_runs)
        for run in found:
            runs.append(
                {
                    "id": run.info.run_id,
                    "name": run.info.run_name or "",
                    "experiment": experiment.name,
                    "metrics": dict(run.data.metrics),
                }
            )
    versions = []
    for model in client.search_registered_models():
        for version in client.search_model_versions(f"name='{model.name}'"):
            versions.append(
                {
                    "model": model.name,
                    "version": int(version.version),
                    "run_id": version.run_id or "",
                    "aliases": list(getattr(version, "aliases", []) or []),
                }
            )
    return {"runs": runs, "versions": versions}


def main(argv: list[str]) -> int:
    marker, max_runs, rest = argv[0], int(argv[1]), argv[2:]
    return answer(marker, MODULES, rest, lambda: read(max_runs), "the tracking store")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
