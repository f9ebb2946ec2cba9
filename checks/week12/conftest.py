"""Week 12 fixtures: housing_retrain run six times in the Airflow environment on batches the
check makes.

The batches come from the copy's data/raw/test.csv, leaving out the houses of the learner's
data/holdout.csv: a stable one (a new random sample each session) and the same houses shifted
as the lesson shifts them (bigger, newer, dearer). The DAG runs in a fresh copy of the week,
retries forced to 0, with the batch as the conf's "batch": first with no champion (it must
train one), then the stable batch (skip), the shifted batch with a candidate forced to be worse
(conf alpha 1,000,000: not promoted), the shifted batch (retrain and promote), and the shifted
batch twice more with thresholds raised in retrain_policy.yaml (skip): psi_threshold, then
max_drifted_share, each alone past the shifted batch (with max_rmse), so that a DAG typing in
either one is caught. The champion (models/champion.joblib) predicts held-out houses (features
only) after the runs that may change it.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops_checks import HOLDOUT, TARGET, dag_runs
from mlops_checks.airflow_env import AirflowEnv
from mlops_checks.dag_runs import DagRun, Found, Spec
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import CleanCopy, Run

pytest_plugins = ["mlops_checks.airflow_fixtures"]
DAG_ID = "housing_retrain"
LIBRARIES = ("airflow.sdk", "pandas", "sklearn", "yaml")
POLICY = "retrain_policy.yaml"
CHAMPION = "models/champion.joblib"
DECISIONS = "data/decisions.jsonl"
STABLE, SHIFTED = "data/batches/check_stable.csv", "data/batches/check_shifted.csv"
BATCH_ROWS = 200
WORSE_ALPHA = 1_000_000.0
# Each raised run lifts one drift threshold past the shifted batch (and max_rmse past any
# champion's error): a DAG that reads the other from the file but types this one in retrains.
RAISED = {"raised-psi": ("psi_threshold", 1e9), "raised-share": ("max_drifted_share", 1.0)}
MAX_RMSE_RAISED = 1e12
RUNS = ("first", "stable", "worse", "shifted", *RAISED)
PROBE_TIMEOUT = 900
FIRST_ENV = "Make the check 'The Airflow environment imports Airflow 3, pandas, ...' pass first."
FIRST_PARSE = "Make the check 'dags/ loads into a DagBag with no import errors' pass first."
FIRST_CHAMPION = "Make the check 'With no champion yet, a run trains one' pass first."


@dataclass(frozen=True)
class Retraining:
    """The DAG's six runs, the copy they ran in, its policy as the learner wrote it."""

    found: Found
    copy: Path
    batches: str  # how the check made its batches, for messages
    policy: dict[str, Any] | None

    def run(self, label: str) -> DagRun:
        done = dag_runs.usable(self.found, FIRST_ENV).run(label)
        if done is None:
            blocked(f"housing_retrain was not run: {self.found.crash or 'see above'}", FIRST_PARSE)
        return done

    def champion(self, label: str) -> str | None:
        """The champion file's sha256 after a run (None: there is none)."""
        entry = self.run(label).files.get(CHAMPION)
        return str(entry[1]) if entry else None


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def shifted(row: dict[str, str]) -> dict[str, str]:
    """The lesson's shift: bigger, newer and dearer houses."""
    out = dict(row)
    for column, factor in (("area", 1.3), ("total_bsmt_sf", 1.3), (TARGET, 1.25)):
        out[column] = str(round(float(row[column]) * factor))
    out["year_built"] = str(int(row["year_built"]) + 20)
    out["year_remod"] = str(min(int(row["year_remod"]) + 20, 2010))
    return out


def write_rows(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def make_batches(copy: Path, seed: int) -> str:
    """The check's stable and shifted batches: test.csv's houses that are not in the learner's
    holdout, sampled with ``seed``."""
    columns, test = read_rows(copy / "data" / "raw" / "test.csv")
    holdout = copy / "data" / "holdout.csv"
    kept = {tuple(r.items()) for r in read_rows(holdout)[1]} if holdout.is_file() else set()
    rows = [r for r in test if tuple(r.items()) not in kept]
    chosen = random.Random(seed).sample(rows, min(BATCH_ROWS, len(rows)))
    write_rows(copy / STABLE, columns, chosen)
    write_rows(copy / SHIFTED, columns, [shifted(r) for r in chosen])
    return f"{len(chosen)} houses of data/raw/test.csv outside data/holdout.csv (seed {seed})"


def policies(copy: Path) -> tuple[dict[str, Any] | None, str, dict[str, str]]:
    """The learner's policy, and the texts the check runs with: as written (no cool-down), and
    for each raised run, with its threshold past the shifted batch ('': the file as it is)."""
    try:
        policy = yaml.safe_load((copy / POLICY).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None, "", dict.fromkeys(RAISED, "")
    if not isinstance(policy, dict):
        return None, "", dict.fromkeys(RAISED, "")
    base = {**policy, "cooldown_days": 0} if "cooldown_days" in policy else dict(policy)
    texts = {}
    for label, (key, value) in RAISED.items():
        raised = yaml.safe_load(yaml.safe_dump(base))
        triggers = raised.get("triggers") or {}
        if isinstance(triggers.get("drift"), dict):
            triggers["drift"][key] = value
        if isinstance(triggers.get("performance"), dict):
            triggers["performance"]["max_rmse"] = MAX_RMSE_RAISED
        texts[label] = yaml.safe_dump(raised)
    return policy, yaml.safe_dump(base), texts


def champion_step(tables: dict[str, str]) -> dict[str, Any]:
    return {"loader": "joblib", "path": CHAMPION, "tables": tables}


@pytest.fixture(scope="session")
def retraining(
    run: Run,
    airflow: AirflowEnv,
    airflow_template: Path,
    clean_copy: CleanCopy,
    held_out: HeldOut,
    tmp_path_factory: pytest.TempPathFactory,
) -> Retraining:
    """housing_retrain run six times in a fresh copy of the week."""
    copy = clean_copy(*dag_runs.CLEAN_OUTPUTS)
    (copy / DECISIONS).unlink(missing_ok=True)  # the learner's own decisions are not the runs'

    batches = make_batches(copy, random.randrange(1_000_000))
    policy, base, raised = policies(copy)
    tables = {"holdout": str(held_out.features(HOLDOUT, drop=[TARGET]))}
    before = {POLICY: base} if base else {}
    watch = {"champion": champion_step(tables)}
    planned: tuple[dict[str, Any], ...] = (
        {"label": "first", "conf": {"batch": STABLE}, "files": before, "predicts": watch},
        {"label": "stable", "conf": {"batch": STABLE}},
        {"label": "worse", "conf": {"batch": SHIFTED, "alpha": WORSE_ALPHA}},
        {"label": "shifted", "conf": {"batch": SHIFTED}, "predicts": watch},
        *(
            {"label": label, "conf": {"batch": SHIFTED}, "files": {POLICY: text} if text else {}}
            for label, text in raised.items()
        ),
    )
    runs = tuple(
        {**r, "logical_date": f"2026-04-0{i + 1}T00:00:00+00:00"} for i, r in enumerate(planned)
    )
    spec = Spec(copy / "dags", DAG_ID, copy, LIBRARIES, runs, skip=("data/raw",), read=(DECISIONS,))
    scratch = tmp_path_factory.mktemp("airflow")
    found = dag_runs.probe(run, airflow, spec, scratch, airflow_template, PROBE_TIMEOUT)
    return Retraining(found, copy, batches, policy)


@pytest.fixture(scope="session")
def dag(retraining: Retraining) -> dict[str, Any]:
    """The shape of housing_retrain, or blocked."""
    return dag_runs.dag_of(dag_runs.usable(retraining.found, FIRST_ENV), DAG_ID, FIRST_PARSE)
