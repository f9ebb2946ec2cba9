"""Run the learner's promote.py twice; report where the alias points after each run.

Runs in the learner's interpreter (the week 6 checks start it), in a copy of the week folder:

    python probe_promote.py MARKER MODEL ALIAS TIMEOUT [--sabotage]

MLFLOW_TRACKING_URI names the store; promote.py inherits it. Every version is first scored on
the copy's data/raw/test.csv (its RMSE: the evidence the lesson asks promote.py to decide by).
With --sabotage (given only for a copy of a SQLite store) the check then makes logged and real
scores disagree and gives promote.py a decision to make: it registers a decoy, a new version of
the worst model from a run that logged better metrics than any other (nothing is written but
the copied database), and moves the alias to the worst version. The answer is MARKER + JSON:
    {"rmse": {version: logged rmse}, "real": {version: test RMSE}, "unscored": {version: why},
     "decoy": version | null, "before": version, "moved_to": version | null,
     "runs": [{"returncode", "timed_out", "tail", "after"}, ...], "error": ...}
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from typing import Any

from mlops_probes import error_text, predict

SCRIPT = "promote.py"
TEST_CSV = "data/raw/test.csv"
TARGET = "price"
ERRORS = re.compile(r"(?i)(rmse|mae|mse|error|loss)")  # lower is better
SCORES = re.compile(r"(?i)(^|[_./-])r2($|[_./-])|r_?squared|score")  # higher is better


def alias_version(client: Any, model: str, alias: str) -> str | None:
    try:
        return str(client.get_model_version_by_alias(model, alias).version)
    except Exception:
        return None


def logged_rmse(client: Any, model: str) -> dict[str, float]:
    """The test rmse each version's source run logged (as rmse or test_rmse), by version."""
    scores = {}
    for version in client.search_model_versions(f"name = '{model}'"):
        if version.run_id:
            metrics = client.get_run(version.run_id).data.metrics
            for name in ("rmse", "test_rmse", "rmse_test"):
                if name in metrics:
                    scores[str(version.version)] = float(metrics[name])
                    break
    return scores


def real_rmse(client: Any, model: str) -> tuple[dict[str, float], dict[str, str]]:
    """Each version's RMSE on the copy's test set, and the versions that could not predict."""
    import mlflow
    import pandas as pd

    real: dict[str, float] = {}
    try:
        test = pd.read_csv(TEST_CSV)
        prices = [float(p) for p in test[TARGET]]
    except Exception as exc:
        return real, {"all": f"cannot read {TEST_CSV}: {error_text(exc)}"}
    features = test.drop(columns=[TARGET])
    unscored: dict[str, str] = {}
    for version in client.search_model_versions(f"name = '{model}'"):
        number = str(version.version)
        try:
            with tempfile.TemporaryDirectory() as scratch:
                loaded = mlflow.pyfunc.load_model(f"models:/{model}/{number}", dst_path=scratch)
                predicted = predict(loaded, features)
            squares = sum((p - a) ** 2 for a, p in zip(prices, predicted, strict=True))
            real[number] = (squares / len(prices)) ** 0.5
        except Exception as exc:
            unscored[number] = error_text(exc)
    return real, unscored


def flattering(metrics: dict[str, float]) -> dict[str, float]:
    """Metrics better than ``metrics``: errors halved, R² and other scores closer to 1."""
    out = {}
    for name, value in metrics.items():
        if SCORES.search(name):
            out[name] = value + (1 - value) / 2
        elif ERRORS.search(name):
            out[name] = value / 2
        else:
            out[name] = value
    return out


def register_decoy(client: Any, model: str, worst: str, best: str) -> str | None:
    """A new version of the worst version's model, from a run that logged better metrics than
    the best version's run (its params and tags copied): only its logged numbers lie. None
    when no version comes from a run to copy."""
    source = client.get_model_version(model, worst)
    runs = [client.get_model_version(model, v).run_id for v in (best, worst)]
    if not any(runs):
        return None
    pattern = client.get_run(next(r for r in runs if r))
    run = client.create_run(
        pattern.info.experiment_id,
        run_name="decoy-registered-by-the-check",
        tags={k: v for k, v in pattern.data.tags.items() if not k.startswith("mlflow.")},
    )
    for name, value in pattern.data.params.items():
        client.log_param(run.info.run_id, name, value)
    for name, value in flattering(pattern.data.metrics).items():
        client.log_metric(run.info.run_id, name, value)
    client.set_terminated(run.info.run_id)
    return str(client.create_model_version(model, source.source, run.info.run_id).version)


def run_script(timeout: float) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [sys.executable, SCRIPT], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"returncode": -9, "timed_out": True, "tail": ""}
    lines = (done.stdout.rstrip() + "\n" + done.stderr.rstrip()).strip().splitlines()
    return {"returncode": done.returncode, "timed_out": False, "tail": "\n".join(lines[-8:])}


def sabotage(client: Any, model: str, alias: str, answer: dict[str, Any]) -> None:
    """The decoy, then the alias on the worst version (when the versions differ at all)."""
    real = answer["real"]
    if len(real) < 2 or max(real.values()) <= min(real.values()):
        return
    worst, best = max(real, key=real.__getitem__), min(real, key=real.__getitem__)
    decoy = register_decoy(client, model, worst, best)
    if decoy is not None:
        answer["decoy"], answer["rmse"] = decoy, logged_rmse(client, model)
        answer["real"][decoy] = real[worst]
    client.set_registered_model_alias(model, alias, worst)
    answer["moved_to"] = worst


def promote_twice(model: str, alias: str, timeout: float, sabotaged: bool) -> dict[str, Any]:
    from mlflow import MlflowClient

    client = MlflowClient()
    real, unscored = real_rmse(client, model)
    answer: dict[str, Any] = {
        "rmse": logged_rmse(client, model),
        "real": real,
        "unscored": unscored,
        "decoy": None,
        "before": alias_version(client, model, alias),
        "moved_to": None,
        "runs": [],
    }
    if sabotaged:
        sabotage(client, model, alias, answer)
    for _ in range(2):
        outcome = run_script(timeout)
        outcome["after"] = alias_version(client, model, alias)
        answer["runs"].append(outcome)
        if outcome["returncode"] != 0:
            break
    return answer


def main(argv: list[str]) -> int:
    marker, model, alias, timeout, *rest = argv
    try:
        answer = promote_twice(model, alias, float(timeout), rest == ["--sabotage"])
    except Exception as exc:
        answer = {"error": f"reading the model registry failed: {error_text(exc)}"}
    print(marker + json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
