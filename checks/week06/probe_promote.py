"""Run the learner's promote.py twice; report where the alias points after each run.

Runs in the learner's interpreter (the week 6 checks start it), in a copy of the week folder:

    python probe_promote.py MARKER MODEL ALIAS TIMEOUT [--sabotage]

MLFLOW_TRACKING_URI names the store; promote.py inherits it. With --sabotage (given only for a
copy of a SQLite store) the alias is first moved to the version whose run logged the highest
rmse, so that promote.py has a decision to make. The answer is MARKER + JSON:
    {"rmse": {version: logged rmse}, "before": version, "moved_to": version | null,
     "runs": [{"returncode", "timed_out", "tail", "after"}, ...], "error": ...}
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from mlops_probes import error_text

SCRIPT = "promote.py"


def alias_version(client: Any, model: str, alias: str) -> str | None:
    try:
        return str(client.get_model_version_by_alias(model, alias).version)
    except Exception:
        return None


def logged_rmse(client: Any, model: str) -> dict[str, float]:
    """The rmse each version's source run logged, by version (versions without one left out)."""
    scores = {}
    for version in client.search_model_versions(f"name = '{model}'"):
        if version.run_id:
            metrics = client.get_run(version.run_id).data.metrics
            if "rmse" in metrics:
                scores[str(version.version)] = float(metrics["rmse"])
    return scores


def run_script(timeout: float) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [sys.executable, SCRIPT], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"returncode": -9, "timed_out": True, "tail": ""}
    lines = (done.stdout.rstrip() + "\n" + done.stderr.rstrip()).strip().splitlines()
    return {"returncode": done.returncode, "timed_out": False, "tail": "\n".join(lines[-8:])}


def promote_twice(model: str, alias: str, timeout: float, sabotage: bool) -> dict[str, Any]:
    from mlflow import MlflowClient

    client = MlflowClient()
    scores = logged_rmse(client, model)
    answer: dict[str, Any] = {
        "rmse": scores,
        "before": alias_version(client, model, alias),
        "moved_to": None,
        "runs": [],
    }
    worst = max(scores, key=scores.__getitem__, default=None)
    if sabotage and worst is not None and scores[worst] > min(scores.values()):
        client.set_registered_model_alias(model, alias, worst)
        answer["moved_to"] = worst
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
