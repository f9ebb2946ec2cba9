"""What `make e2e` left in a clean copy's MLflow store, printed as one JSON line (run by the
week 23 checks).

Runs in the learner's interpreter, never in the engine:

    python probe_e2e.py MARKER BATCH.csv E2E.json [--imports-only]

MLFLOW_TRACKING_URI names the copy's store; BATCH.csv is the check's batch (features and
price). The answer is MARKER + JSON:
    {"imports": {"versions": {...}, "errors": [...]},
     "store": {"versions": [{"model", "version", "run_id", "aliases", "created",
                             "batch_rmse", "error"}],
               "served": {"model", "version", "predicted", "error"}}}
Each registered version is loaded (at most MAX_VERSIONS of them, the newest first) and scored
on the check's batch; the version E2E.json names is asked for its prices of the houses E2E.json
says were sent. Nothing here raises: a failure is reported as text.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from mlops_probes import answer, error_text, predict, registered_versions

MODULES = {"mlflow": "mlflow", "pandas": "pandas"}
MAX_VERSIONS = 6
TARGET = "price"


def load(name: str, version: str) -> Any:
    import mlflow

    return mlflow.pyfunc.load_model(f"models:/{name}/{version}")


def scored(version: dict[str, Any], batch: Any) -> dict[str, Any]:
    """The version with its RMSE on the check's batch, or why it could not be scored."""
    try:
        model = load(version["model"], version["version"])
        predicted = predict(model, batch.drop(columns=[TARGET]))
        errors = [(p - a) ** 2 for p, a in zip(predicted, batch[TARGET], strict=True)]
        return {**version, "batch_rmse": (sum(errors) / len(errors)) ** 0.5}
    except Exception as exc:
        return {**version, "error": error_text(exc)}


def served(e2e: Path) -> dict[str, Any]:
    """The version E2E.json names, asked for the prices of the houses it says were sent."""
    import pandas as pd

    try:
        record = json.loads(e2e.read_text(encoding="utf-8"))
        name, version = str(record["model"]), str(record["version"])
        houses = pd.DataFrame(record["houses"])
    except Exception as exc:
        return {"error": f"{e2e.name}: {error_text(exc)}"}
    try:
        return {
            "model": name,
            "version": version,
            "predicted": predict(load(name, version), houses),
        }
    except Exception as exc:
        return {"model": name, "version": version, "error": error_text(exc)}


def store_facts(batch_csv: Path, e2e: Path) -> dict[str, Any]:
    import pandas as pd
    from mlflow import MlflowClient

    client = MlflowClient()
    found = registered_versions(client)
    found.sort(key=lambda v: (-int(v["created"]), v["model"]))
    batch = pd.read_csv(batch_csv)
    versions = [scored(v, batch) for v in found[:MAX_VERSIONS]] + found[MAX_VERSIONS:]
    return {"versions": versions, "served": served(e2e) if e2e.is_file() else {}}


def main(argv: list[str]) -> int:
    marker, batch_csv, e2e, *rest = argv
    return answer(
        marker, MODULES, rest, lambda: store_facts(Path(batch_csv), Path(e2e)), "the registry"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
