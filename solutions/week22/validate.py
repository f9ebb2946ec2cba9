"""CI/CD for Continuous Training (week22): the gate between a trained model and a deployment.

Usage, from the week folder after `dvc repro`:  python validate.py
Every gate in gates.yaml is evaluated and printed (PASS or FAIL, with the numbers); the exit
status is 1 when any gate fails, so CI stops before the build and deploy jobs. When every gate
passes, the candidate becomes the champion: its metrics are written to the champion file
(gates.yaml: champion_metrics), which the deploy job commits after the rollout.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
Result = tuple[str, bool, str]


def read_json(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def schema_gates(schema: dict[str, Any], train: pd.DataFrame) -> list[Result]:
    missing = sorted(set(schema["required_columns"]) - set(train.columns))
    rows, least = len(train), schema["min_rows"]
    return [
        ("schema: columns", not missing, f"missing {missing}" if missing else "ok"),
        ("schema: rows", rows >= least, f"{rows:,} (at least {least:,})"),
    ]


def absolute_gates(limits: dict[str, Any], metrics: dict[str, float]) -> list[Result]:
    rmse, accuracy = metrics["rmse"], metrics["accuracy"]
    return [
        (
            "absolute: rmse",
            rmse <= limits["max_rmse"],
            f"{rmse:,.0f} (at most {limits['max_rmse']:,.0f})",
        ),
        (
            "absolute: accuracy",
            accuracy >= limits["min_accuracy"],
            f"{accuracy:.3f} (at least {limits['min_accuracy']:.3f})",
        ),
    ]


def relative_gates(
    rules: dict[str, Any], metrics: dict[str, float], champion: dict[str, float] | None
) -> list[Result]:
    if champion is None:
        return [("relative: champion", True, "no champion yet: this is the first model")]
    allowed = champion["rmse"] * (1 + rules["max_rmse_increase"])
    floor = champion["accuracy"] - rules["max_accuracy_drop"]
    return [
        (
            "relative: rmse",
            metrics["rmse"] <= allowed,
            f"{metrics['rmse']:,.0f} vs champion {champion['rmse']:,.0f} "
            f"(+{rules['max_rmse_increase']:.0%} allowed: at most {allowed:,.0f})",
        ),
        (
            "relative: accuracy",
            metrics["accuracy"] >= floor,
            f"{metrics['accuracy']:.3f} vs champion {champion['accuracy']:.3f} "
            f"(-{rules['max_accuracy_drop']:.3f} allowed)",
        ),
    ]


def promote(path: Path, metrics: dict[str, float]) -> None:
    """Write the new champion's metrics atomically (a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(metrics, indent=2) + "\n")
    os.replace(tmp, path)


def main() -> int:
    gates = yaml.safe_load((HERE / "gates.yaml").read_text(encoding="utf-8"))
    metrics = read_json(HERE / "metrics.json")
    if metrics is None:
        print("FAIL  metrics.json is missing: run `dvc repro` first")
        return 1
    champion_file = HERE / gates["champion_metrics"]
    train = pd.read_csv(HERE / "data" / "raw" / "train.csv")
    results = (
        schema_gates(gates["schema"], train)
        + absolute_gates(gates["absolute"], metrics)
        + relative_gates(gates["relative"], metrics, read_json(champion_file))
    )
    for name, passed, detail in results:
        print(f"{'PASS' if passed else 'FAIL'}  {name:<20} {detail}")
    if not all(passed for _, passed, _ in results):
        print("The candidate is not deployed; the champion stays.")
        return 1
    promote(champion_file, {"rmse": metrics["rmse"], "accuracy": metrics["accuracy"]})
    print(f"The candidate is the new champion: {champion_file.relative_to(HERE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
