"""Facts about a registered MLflow model, printed as one JSON line (run by the week 6 checks).

Runs in the learner's interpreter, never in the engine:

    python probe_registry.py MARKER MODEL ALIAS (--imports-only | NAME=CSV ...)

MLFLOW_TRACKING_URI names the store. The answer is MARKER + JSON:
    {"imports": {"versions": {...}, "errors": [...]},
     "store": {"model": {...} | null, "models": [...], "versions": [...],
               "champion": {...} | null, "error": ...}}
Each version carries its source run's status, params and metrics; the version the alias points
to is loaded with mlflow.pyfunc (models:/MODEL@ALIAS) and predicts every NAME=CSV table (the
price column dropped). Nothing here raises: each failure is reported as text where it happened.
"""

from __future__ import annotations

import sys
import tempfile
from typing import Any

from mlops_probes import answer, error_text

MODULES = {"mlflow": "mlflow", "sklearn": "scikit-learn", "pandas": "pandas", "uvicorn": "uvicorn"}
TARGET = "price"


def version_facts(client: Any, version: Any) -> dict[str, Any]:
    """One registered version and the run that produced it."""
    facts: dict[str, Any] = {
        "version": str(version.version),
        "status": str(version.status),
        "run_id": version.run_id or "",
        "source": version.source,
        "run": None,
    }
    if version.run_id:
        try:
            run = client.get_run(version.run_id)
            facts["run"] = {
                "status": run.info.status,
                "params": run.data.params,
                "metrics": run.data.metrics,
            }
        except Exception as exc:
            facts["run_error"] = error_text(exc)
    return facts


def champion_facts(client: Any, model: str, alias: str, specs: list[str]) -> dict[str, Any] | None:
    """The version ``alias`` points to, loaded by alias, and its predictions on each table."""
    import mlflow
    import numpy as np
    import pandas as pd

    try:
        version = client.get_model_version_by_alias(model, alias)
    except Exception:
        return None
    uri = f"models:/{model}@{alias}"
    facts: dict[str, Any] = {"version": str(version.version), "uri": uri, "predictions": {}}
    stage = "mlflow.pyfunc.load_model"
    # Into a temporary folder: loaded in place, a local model gets a file written next to it.
    try:
        where = str(client.get_model_version_download_uri(model, version.version))
    except Exception:
        where = str(version.source)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            try:
                loaded = mlflow.pyfunc.load_model(uri, dst_path=scratch)
                for spec in specs:
                    name, _, path = spec.partition("=")
                    stage = f"reading {path}"
                    frame = pd.read_csv(path).drop(columns=[TARGET])
                    stage = f"predicting {name}"
                    values = np.asarray(loaded.predict(frame), dtype=float).reshape(-1)
                    facts["predictions"][name] = [float(v) for v in values]
            except Exception as exc:
                # Name the model's own files, not their passing copy.
                text = error_text(exc).replace(scratch, where.removeprefix("file://"))
                raise RuntimeError(text) from None
    except Exception as exc:
        text = error_text(exc).removeprefix("RuntimeError: ")
        facts["error"] = f"{stage} failed: {text}"
    return facts


def store_facts(model: str, alias: str, specs: list[str]) -> dict[str, Any]:
    from mlflow import MlflowClient

    client = MlflowClient()
    found = client.search_registered_models(filter_string=f"name = '{model}'")
    if not found:
        return {"model": None, "models": sorted(m.name for m in client.search_registered_models())}
    versions = client.search_model_versions(f"name = '{model}'")
    return {
        "model": {
            "name": model,
            "aliases": {k: str(v) for k, v in (found[0].aliases or {}).items()},
        },
        "versions": sorted(
            (version_facts(client, v) for v in versions), key=lambda v: int(v["version"])
        ),
        "champion": champion_facts(client, model, alias, specs),
    }


def main(argv: list[str]) -> int:
    marker, model, alias, *rest = argv
    return answer(
        marker, MODULES, rest, lambda: store_facts(model, alias, rest), "the model registry"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
