"""Facts about a registered MLflow model, printed as one JSON line (run by the week 6 checks).

Runs in the learner's interpreter, never in the engine:

    python probe_registry.py MARKER MODEL ALIAS (--imports-only | NAME=CSV ...)

MLFLOW_TRACKING_URI names the store. The answer is MARKER + JSON:
    {"imports": {"versions": {...}, "errors": [...]},
     "store": {"model": {...} | null, "models": [...], "versions": [...],
               "champion": {...} | null, "error": ...}}
Each version carries its source run's status, params and metrics, and (the newest MAX_VERSIONS)
its predictions on the table named test: the evidence promote.py must decide by. The version
the alias points to is loaded with mlflow.pyfunc (models:/MODEL@ALIAS), with its signature's
inputs, and predicts every other NAME=CSV table. Tables lose their price column and are typed
as each model's signature declares. Nothing here raises: each failure is reported as text
where it happened.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from typing import Any

from mlops_probes import answer, error_text, predict, signature_inputs

MODULES = {"mlflow": "mlflow", "sklearn": "scikit-learn", "pandas": "pandas", "uvicorn": "uvicorn"}
TARGET = "price"
EVIDENCE = "test"  # the table every version predicts (the champion predicts the others)
MAX_VERSIONS = 20  # newest versions scored: bounds the probe's time


def read_table(path: str) -> Any:
    import pandas as pd

    return pd.read_csv(path).drop(columns=[TARGET], errors="ignore")


def loaded(uri: str, where: str, work: Callable[[Any], None]) -> str:
    """Load ``uri`` with mlflow.pyfunc into a temporary folder (loaded in place, a local model
    gets a file written next to it) and run ``work`` on it; the error, naming the model's own
    files, or ''."""
    import mlflow

    with tempfile.TemporaryDirectory() as scratch:
        try:
            work(mlflow.pyfunc.load_model(uri, dst_path=scratch))
        except Exception as exc:
            return error_text(exc).replace(scratch, where.removeprefix("file://"))
    return ""


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


def files_of(client: Any, model: str, version: str, source: str) -> str:
    """Where a version's files are, for messages (its source when that cannot be asked)."""
    try:
        return str(client.get_model_version_download_uri(model, version))
    except Exception:
        return source


def scored(client: Any, facts: dict[str, Any], model: str, frame: Any) -> dict[str, Any]:
    """``facts`` of one version with its predictions on the evidence table, or why not."""

    def work(loaded_model: Any) -> None:
        facts["predictions"] = predict(loaded_model, frame)

    where = files_of(client, model, facts["version"], str(facts["source"]))
    error = loaded(f"models:/{model}/{facts['version']}", where, work)
    return {**facts, "predict_error": error} if error else facts


def champion_facts(client: Any, model: str, alias: str, specs: list[str]) -> dict[str, Any] | None:
    """The version ``alias`` points to, loaded by alias, and its predictions on each table."""
    try:
        version = client.get_model_version_by_alias(model, alias)
    except Exception:
        return None
    uri = f"models:/{model}@{alias}"
    facts: dict[str, Any] = {"version": str(version.version), "uri": uri, "predictions": {}}
    where = files_of(client, model, str(version.version), str(version.source))
    stage = ["mlflow.pyfunc.load_model"]

    def work(loaded_model: Any) -> None:
        facts["inputs"] = signature_inputs(loaded_model)
        for spec in specs:
            name, _, path = spec.partition("=")
            if name != EVIDENCE:
                stage[0] = f"reading {path}"
                frame = read_table(path)
                stage[0] = f"predicting {name}"
                facts["predictions"][name] = predict(loaded_model, frame)

    error = loaded(uri, where, work)
    return {**facts, "error": f"{stage[0]} failed: {error}"} if error else facts


def store_facts(model: str, alias: str, specs: list[str]) -> dict[str, Any]:
    from mlflow import MlflowClient

    client = MlflowClient()
    found = client.search_registered_models(filter_string=f"name = '{model}'")
    if not found:
        return {"model": None, "models": sorted(m.name for m in client.search_registered_models())}
    versions = client.search_model_versions(f"name = '{model}'")
    facts = sorted((version_facts(client, v) for v in versions), key=lambda v: int(v["version"]))
    evidence = [path for name, _, path in (s.partition("=") for s in specs) if name == EVIDENCE]
    evidence_error = ""
    if evidence:
        try:
            frame = read_table(evidence[0])
        except Exception as exc:
            evidence_error = f"cannot read {evidence[0]}: {error_text(exc)}"
        else:
            newest = facts[-MAX_VERSIONS:]
            facts = facts[: -len(newest)] + [scored(client, v, model, frame) for v in newest]
    return {
        "model": {
            "name": model,
            "aliases": {k: str(v) for k, v in (found[0].aliases or {}).items()},
        },
        "versions": facts,
        "evidence_error": evidence_error,
        "champion": champion_facts(client, model, alias, specs),
    }


def main(argv: list[str]) -> int:
    marker, model, alias, *rest = argv
    return answer(
        marker, MODULES, rest, lambda: store_facts(model, alias, rest), "the model registry"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
