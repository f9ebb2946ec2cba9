"""Week 21: does the current data still look like the reference?

    python drift.py REFERENCE.csv CURRENT.csv [--drift-share 0.3]

Compares the model's input columns of CURRENT with REFERENCE (usually the training data) with
Evidently's DataDriftPreset, writes reports/drift.html and reports/drift.json, appends one row
to reports/drift_history.csv, prints the share of drifted columns, and exits 1 when that share
reaches the threshold (drift detected), else 0.

When both files also hold the label (price) or the model's predictions (prediction), their
drift is reported too, on its own: it informs, the input columns decide.
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from evidently import Report
from evidently.metrics import ValueDrift
from evidently.presets import DataDriftPreset

REPORTS = Path("reports")
HISTORY = REPORTS / "drift_history.csv"
HISTORY_COLUMNS = ["time", "reference", "current", "rows", "threshold", "drifted", "share", "drift"]
OUTPUTS = ["price", "prediction"]  # the label and the model's answer: not model inputs


def drifted_columns(snapshot_dict: dict) -> tuple[int, float]:
    """The count and share of drifted columns, from the DriftedColumnsCount metric."""
    for metric in snapshot_dict["metrics"]:
        if metric["metric_name"].startswith("DriftedColumnsCount"):
            return int(metric["value"]["count"]), float(metric["value"]["share"])
    raise ValueError("the report has no DriftedColumnsCount metric")


def output_drift(snapshot_dict: dict) -> list[str]:
    """One line per label or prediction column compared on its own."""
    lines = []
    for metric in snapshot_dict["metrics"]:
        config = metric["config"]
        if metric["metric_name"].startswith("ValueDrift") and config["column"] in OUTPUTS:
            lines.append(f"{config['column']} drift: {config['method']} = {metric['value']:.3f}")
    return lines


def remember(args: argparse.Namespace, rows: int, drifted: int, share: float) -> None:
    """Append this run to the drift history, the drift metric kept over time."""
    new = not HISTORY.exists()
    with HISTORY.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(HISTORY_COLUMNS)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        drift = int(share >= args.drift_share)
        writer.writerow(
            [now, args.reference, args.current, rows, args.drift_share, drifted, share, drift]
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference")
    parser.add_argument("current")
    parser.add_argument("--drift-share", type=float, default=0.3)
    args = parser.parse_args()
    reference = pd.read_csv(args.reference)
    current = pd.read_csv(args.current)
    inputs = [c for c in reference.columns if c not in OUTPUTS]
    outputs = [c for c in OUTPUTS if c in reference.columns and c in current.columns]
    items: list = [DataDriftPreset(columns=inputs, drift_share=args.drift_share)]
    items += [ValueDrift(column=c) for c in outputs]
    keep = inputs + outputs
    report = Report(items, include_tests=True)
    snapshot = report.run(current[keep], reference[keep])  # current first, then reference
    REPORTS.mkdir(exist_ok=True)
    snapshot.save_html(str(REPORTS / "drift.html"))
    snapshot.save_json(str(REPORTS / "drift.json"))
    result = snapshot.dict()
    drifted, share = drifted_columns(result)
    remember(args, len(current), drifted, share)
    detected = share >= args.drift_share
    print(
        f"drifted columns: {drifted} of {len(inputs)}, share {share:.4f} "
        f"(threshold {args.drift_share}): {'DRIFT' if detected else 'no drift'}"
    )
    for line in output_drift(result):
        print(line)
    return 1 if detected else 0


if __name__ == "__main__":
    sys.exit(main())
