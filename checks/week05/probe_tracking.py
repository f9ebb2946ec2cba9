"""Facts about an MLflow tracking store, printed as one JSON line (run by the week 5 checks).

Runs in the learner's interpreter, never in the engine:

    python probe_tracking.py MARKER EXPERIMENT MAX_RUNS (--imports-only | NAME=CSV ...)

MLFLOW_TRACKING_URI names the store. The answer is MARKER + JSON:
    {"imports": {"versions": {...}, "errors": [...]},
     "store": {"experiment": {...} | null, "experiments": [...], "runs": [...],
               "hashes": {NAME: [...]}, "error": ...}}
Each finished run among the newest MAX_RUNS carries its logged models, each loaded with
mlflow.pyfunc, with its signature's inputs, its final estimator (class, alpha) and its
predictions on every NAME=CSV table (the price column dropped, the columns typed as the
model's signature declares; the table named train is not predicted). "hashes" holds the
digests a learner may log as data_md5 for the tables named train and test. Nothing here
raises: each failure is reported as text where it happened.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from typing import Any

from mlops_probes import answer, error_text, estimator, predict, signature_inputs

MODULES = {"mlflow": "mlflow", "sklearn": "scikit-learn", "pandas": "pandas"}
TARGET = "price"
HASHED = ("train", "test")  # the tables whose data_md5 candidates are computed
HASHED_ONLY = ("train",)  # ... and the ones no model is asked to predict


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def data_hashes(path: str, frame: Any) -> list[str]:
    """The MD5 digests of a table a learner may call its data's hash: of the file's bytes (the
    lesson's file_md5), of the frame as pandas writes or hashes it, with or without the price."""
    import pandas as pd

    with open(path, "rb") as handle:
        raw = handle.read()
    out = [md5(raw), md5(raw.replace(b"\r\n", b"\n"))]
    for table in (frame, frame.drop(columns=[TARGET], errors="ignore")):
        out.append(md5(table.to_csv(index=False).encode()))
        for index in (True, False):
            out.append(md5(pd.util.hash_pandas_object(table, index=index).values.tobytes()))
    return list(dict.fromkeys(out))


def read_tables(specs: list[str]) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The feature frames of NAME=CSV tables, the data_md5 candidates of train and test, and
    the tables that could not be read."""
    import pandas as pd

    frames, hashes, errors = {}, {}, {}
    for spec in specs:
        name, _, path = spec.partition("=")
        try:
            frame = pd.read_csv(path)
            if name in HASHED:
                hashes[name] = data_hashes(path, frame)
            if name not in HASHED_ONLY:
                frames[name] = frame.drop(columns=[TARGET], errors="ignore")
        except Exception as exc:
            errors[name] = f"cannot read {path}: {error_text(exc)}"
    return frames, hashes, errors


def model_facts(logged: Any, frames: dict[str, Any]) -> dict[str, Any]:
    """One logged model: what its MLmodel declares, and its predictions once reloaded."""
    import mlflow

    facts: dict[str, Any] = {
        "id": logged.model_id,
        "name": logged.name,
        "uri": logged.model_uri,
        "predictions": {},
    }
    stage = "reading its MLmodel file"
    try:
        info = mlflow.models.get_model_info(logged.model_uri)
        facts["flavors"] = sorted(info.flavors)
        facts["signature"] = info.signature is not None
        facts["input_example"] = bool(info.saved_input_example_info)
        stage = "mlflow.pyfunc.load_model"
        # Into a temporary folder: loaded in place, a local model gets a file written next to it.
        with tempfile.TemporaryDirectory() as scratch:
            try:
                model = mlflow.pyfunc.load_model(logged.model_uri, dst_path=scratch)
                facts["inputs"] = signature_inputs(model)
                facts["estimator"] = estimator(model)
                for name, frame in frames.items():
                    stage = f"predicting {name}"
                    facts["predictions"][name] = predict(model, frame)
            except Exception as exc:
                # Name the model's own files, not their passing copy.
                where = str(logged.artifact_location).removeprefix("file://")
                raise RuntimeError(error_text(exc).replace(scratch, where)) from None
    except Exception as exc:
        text = error_text(exc).removeprefix("RuntimeError: ")
        facts["error"] = f"{stage} failed: {text}"
    return facts


def run_facts(run: Any) -> dict[str, Any]:
    tags = {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")}
    return {
        "id": run.info.run_id,
        "name": run.info.run_name,
        "status": run.info.status,
        "params": run.data.params,
        "metrics": run.data.metrics,
        "tags": tags,
    }


def store_facts(experiment_name: str, max_runs: int, specs: list[str]) -> dict[str, Any]:
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient()
    experiment = client.get_experiment_by_name(experiment_name)
    if experiment is None:
        every = client.search_experiments(view_type=ViewType.ALL)
        return {"experiment": None, "experiments": sorted(e.name for e in every)}
    ids = [experiment.experiment_id]
    runs = client.search_runs(ids, max_results=1000, order_by=["attributes.start_time DESC"])
    logged = mlflow.search_logged_models(experiment_ids=ids, output_format="list")
    by_run: dict[str, list[Any]] = {}
    for model in sorted(logged, key=lambda m: m.creation_timestamp or 0, reverse=True):
        by_run.setdefault(model.source_run_id or "", []).append(model)
    frames, hashes, table_errors = read_tables(specs)
    answer_runs, loaded = [], 0
    for run in runs:
        facts = run_facts(run)
        if run.info.status == "FINISHED" and loaded < max_runs:
            facts["models"] = [model_facts(m, frames) for m in by_run.get(run.info.run_id, [])]
            loaded += 1
        answer_runs.append(facts)
    return {
        "experiment": {
            "id": experiment.experiment_id,
            "stage": experiment.lifecycle_stage,
            "artifacts": experiment.artifact_location,
        },
        "runs": answer_runs,
        "hashes": hashes,
        "table_errors": table_errors,
    }


def main(argv: list[str]) -> int:
    marker, experiment, max_runs, *rest = argv
    read = lambda: store_facts(experiment, int(max_runs), rest)  # noqa: E731
    return answer(marker, MODULES, rest, read, "the tracking store")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
