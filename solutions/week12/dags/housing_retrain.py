"""Check the retraining triggers on a new batch, retrain only when one fires.

Test: airflow dags test housing_retrain
      airflow dags test housing_retrain -c '{"batch": "data/batches/batch_shifted.csv"}'
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, task

WEEK = Path(__file__).resolve().parents[1]
REFERENCE = WEEK / "data" / "raw" / "train.csv"
CHAMPION = WEEK / "models" / "champion.joblib"
CANDIDATE = WEEK / "models" / "candidate.joblib"
DECISIONS = WEEK / "data" / "decisions.jsonl"
TARGET = "price"
CATEGORICAL = ["neighborhood", "building_type"]


def policy() -> dict[str, Any]:
    """retrain_policy.yaml, read on every run: the thresholds live there, not in code."""
    import yaml

    return dict(yaml.safe_load((WEEK / "retrain_policy.yaml").read_text()))


def record(event: dict[str, Any]) -> None:
    """Append one decision to data/decisions.jsonl."""
    event["at"] = datetime.now(timezone.utc).isoformat()
    DECISIONS.parent.mkdir(parents=True, exist_ok=True)
    with DECISIONS.open("a") as handle:
        handle.write(json.dumps(event) + "\n")


def psi(reference: Any, current: Any, bins: int = 10, eps: float = 1e-6) -> float:
    """The population stability index of one feature, binned on the reference's quantiles."""
    import numpy as np

    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    ref = np.clip(np.histogram(reference, edges)[0] / len(reference), eps, None)
    cur = np.clip(np.histogram(current, edges)[0] / len(current), eps, None)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def rmse(model_path: Path, frame: Any) -> float:
    import joblib
    import numpy as np

    predicted = joblib.load(model_path).predict(frame.drop(columns=[TARGET]))
    return float(np.sqrt(np.mean((frame[TARGET].to_numpy() - predicted) ** 2)))


with DAG(
    dag_id="housing_retrain",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "batch": Param("data/batches/batch_stable.csv", type="string"),
        "alpha": Param(1.0, type="number", minimum=0, description="the candidate's Ridge alpha"),
    },
    tags=["mlops-roadmap", "week12"],
):

    @task.branch
    def check_triggers(params: dict[str, Any] | None = None) -> str:
        """Return "retrain" when a trigger in retrain_policy.yaml fires, else "skip"."""
        import pandas as pd

        triggers = policy()["triggers"]
        batch_path = WEEK / (params or {})["batch"]
        batch, reference = pd.read_csv(batch_path), pd.read_csv(REFERENCE)
        event: dict[str, Any] = {"batch": batch_path.name, "rows": len(batch)}
        if not CHAMPION.is_file():
            record({**event, "trigger": "no champion", "retrain": True})
            return "retrain"
        if len(batch) < triggers["min_new_rows"]:
            record({**event, "trigger": None, "retrain": False, "why": "batch too small"})
            return "skip"
        numeric = reference.drop(columns=[TARGET]).select_dtypes("number").columns
        scores = {c: psi(reference[c].to_numpy(), batch[c].to_numpy()) for c in numeric}
        drifted = [c for c, v in scores.items() if v > triggers["drift"]["psi_threshold"]]
        share = len(drifted) / len(numeric)
        rmse_now = rmse(CHAMPION, batch)  # labels are in the batch here
        trigger = None
        if share > triggers["drift"]["max_drifted_share"]:
            trigger = "drift"
        elif rmse_now > triggers["performance"]["max_rmse"]:
            trigger = "performance"
        record(
            {
                **event,
                "psi": {c: round(v, 4) for c, v in scores.items()},
                "drifted": drifted,
                "drifted_share": share,
                "champion_rmse": rmse_now,
                "trigger": trigger,
                "retrain": trigger is not None,
            }
        )
        return "retrain" if trigger else "skip"

    @task
    def retrain(params: dict[str, Any] | None = None) -> str:
        """Train a candidate on reference + batch (the first champion on the reference alone);
        return the candidate's model path."""
        import joblib
        import pandas as pd
        from sklearn.compose import ColumnTransformer
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        chosen = params or {}
        batch = pd.read_csv(WEEK / chosen["batch"])
        parts = [pd.read_csv(REFERENCE), batch] if CHAMPION.is_file() else [pd.read_csv(REFERENCE)]
        frame = pd.concat(parts, ignore_index=True)
        features = frame.drop(columns=[TARGET])
        numeric = [c for c in features.columns if c not in CATEGORICAL]
        prepare = ColumnTransformer(
            [
                ("numeric", StandardScaler(), numeric),
                ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ]
        )
        model = Pipeline([("prepare", prepare), ("model", Ridge(alpha=float(chosen["alpha"])))])
        model.fit(features, frame[TARGET])
        CANDIDATE.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(model, CANDIDATE)
        return str(CANDIDATE)

    @task
    def promote(candidate: str) -> None:
        """Compare candidate and champion on the fixed holdout; promote only on a win."""
        import pandas as pd

        rules = policy()["promotion"]
        holdout = pd.read_csv(WEEK / rules["holdout"])
        new = rmse(Path(candidate), holdout)
        old = rmse(CHAMPION, holdout) if CHAMPION.is_file() else None
        wins = old is None or new < old * (1 - rules["min_improvement"])
        if wins:
            Path(candidate).replace(CHAMPION)  # whole, never half-written
        record({"candidate_rmse": new, "champion_rmse": old, "promoted": wins})

    @task
    def skip() -> None:
        print("no trigger fired: the champion stays")

    candidate = retrain()
    check_triggers() >> [candidate, skip()]
    promote(candidate)
