"""Week 12: housing_retrain on the check's batches, in a fresh copy of the week with retries
forced to 0: with no champion it trains one; on the stable batch it skips; a worse candidate
is not promoted; on the shifted batch it retrains and promotes a better model; thresholds
raised in retrain_policy.yaml (each drift threshold in a run of its own) turn the shifted batch
into a skip; every run records its decision."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import (
    CHAMPION,
    DECISIONS,
    FIRST_CHAMPION,
    MAX_RMSE_RAISED,
    POLICY,
    RAISED,
    RUNS,
    SHIFTED,
    STABLE,
    WORSE_ALPHA,
    Retraining,
)

from mlops_checks import HOLDOUT, TARGET
from mlops_checks.dag_runs import SUCCESS, DagRun
from mlops_checks.scores import rmse
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.checking import blocked, expect, expect_none

MAX_HOLDOUT_RMSE = 32_000.0
WORSE_BY = 1.03  # a promoted model may score at most 3% worse than the old on held-out houses
pytestmark = pytest.mark.timeout(1200)


def ran(done: DagRun, task: str) -> bool:
    return done.tasks.get(task) == SUCCESS


def expect_success(done: DagRun, what: str) -> None:
    failed = [t for t, s in done.tasks.items() if s not in (SUCCESS, "skipped")]
    expect(
        done.state == SUCCESS and not failed and done.tasks,
        expected=f"the run {what} to succeed",
        found=done.summary(),
        hint="source env.sh and run the same with `airflow dags test housing_retrain -c "
        "'{\"batch\": ...}'`; fix the first failing task.",
    )


def holdout_rmse(done: DagRun, held_out: HeldOut) -> float | None:
    predicted = done.models.get("champion", {}).get("predictions", {}).get("holdout")
    if predicted is None:
        return None
    return rmse(held_out.column(HOLDOUT, TARGET), predicted)


@pytest.mark.points(2)
def test_first_run_trains_a_champion(
    retraining: Retraining, held_out: HeldOut, record_property: Callable[[str, object], None]
) -> None:
    """With no champion yet, a run trains one: models/champion.joblib"""
    first = retraining.run("first")
    expect_success(first, f"on {STABLE} with no models/ folder")
    model = first.models.get("champion", {})
    expect(
        "error" not in model and ran(first, "retrain"),
        expected=f"retrain to run and promote to save {CHAMPION} (there was no champion)",
        found=f"{first.summary()}; {model.get('error', '')}",
        hint="In check_triggers: `if not CHAMPION.is_file(): return 'retrain'`; promote "
        "promotes any candidate when there is no champion.",
    )
    found = holdout_rmse(first, held_out)
    assert found is not None
    record_property("holdout_rmse", round(found))
    expect(
        found <= MAX_HOLDOUT_RMSE,
        expected=f"the champion to score an RMSE of at most ${MAX_HOLDOUT_RMSE:,.0f} on houses "
        "it has never seen",
        found=f"${found:,.0f}",
    )


def after_first(retraining: Retraining) -> None:
    if retraining.champion("first") is None:
        blocked("the first run left no champion", hint=FIRST_CHAMPION)


@pytest.mark.points(2)
def test_stable_batch_is_skipped(retraining: Retraining) -> None:
    """On a stable batch the DAG skips retraining and the champion stays"""
    after_first(retraining)
    stable = retraining.run("stable")
    expect_success(stable, f"on {STABLE} ({retraining.batches})")
    expect(
        ran(stable, "skip")
        and not ran(stable, "retrain")
        and retraining.champion("stable") == retraining.champion("first"),
        expected="check_triggers to choose skip: no feature drifts and the champion is accurate "
        "on houses like its training data; the champion file unchanged",
        found=stable.summary(),
        hint="Compare PSI per numeric feature with triggers.drift.psi_threshold and the share "
        "of drifted features with max_drifted_share, as the policy says.",
    )


@pytest.mark.points(2)
def test_worse_candidate_is_not_promoted(retraining: Retraining) -> None:
    """A worse candidate (alpha 1,000,000) is trained on the shifted batch but not promoted"""
    after_first(retraining)
    worse = retraining.run("worse")
    expect_success(worse, f"on {SHIFTED} with conf alpha {WORSE_ALPHA:,g}")
    expect(
        ran(worse, "retrain"),
        expected="the shifted batch to fire a trigger, so retrain runs",
        found=worse.summary(),
        hint="Four numeric features drift on the shifted batch (a share of about 0.36).",
    )
    expect(
        retraining.champion("worse") == retraining.champion("stable"),
        expected=f"{CHAMPION} unchanged: a candidate with alpha {WORSE_ALPHA:,g} loses on the "
        "holdout",
        found=f"{CHAMPION} was replaced ({worse.summary()})",
        hint="promote: score candidate and champion on data/holdout.csv, replace the champion "
        "only when the candidate's RMSE is lower by min_improvement; read alpha from params.",
    )


@pytest.mark.points(3)
def test_shifted_batch_promotes_a_better_model(
    retraining: Retraining, held_out: HeldOut, record_property: Callable[[str, object], None]
) -> None:
    """On the shifted batch the DAG retrains and promotes the candidate that wins"""
    after_first(retraining)
    shifted = retraining.run("shifted")
    expect_success(shifted, f"on {SHIFTED}")
    expect(
        ran(shifted, "retrain")
        and ran(shifted, "promote")
        and retraining.champion("shifted") != retraining.champion("worse"),
        expected="retrain and promote to run and replace the champion: trained on the reference "
        "and the shifted batch, the candidate beats it on the holdout",
        found=shifted.summary()
        + ("; the champion file is unchanged" if ran(shifted, "promote") else ""),
        hint="Train the candidate on data/raw/train.csv plus the batch with the params' alpha.",
    )
    old, new = holdout_rmse(retraining.run("first"), held_out), holdout_rmse(shifted, held_out)
    assert old is not None
    expect(
        new is not None and new <= old * WORSE_BY,
        expected=f"the new champion to score about as well as the old (${old:,.0f}) on houses "
        "neither has seen",
        found=f"${new:,.0f}" if new is not None else "it could not be loaded",
    )
    record_property("holdout_rmse", f"{old:,.0f} -> {new:,.0f}")


@pytest.mark.points(2)
def test_thresholds_come_from_the_policy(retraining: Retraining) -> None:
    """Thresholds raised in retrain_policy.yaml turn the shifted batch into a skip"""
    after_first(retraining)
    problems = []
    for label, (key, value) in RAISED.items():
        raised = retraining.run(label)
        what = f"{key} {shown(value)} and max_rmse {shown(MAX_RMSE_RAISED)}"
        expect_success(raised, f"on {SHIFTED} with {what}")
        if not ran(raised, "skip") or ran(raised, "retrain"):
            problems.append(f"with {what}: {raised.summary()}")
    expect_none(
        problems,
        expected=f"skip each time {POLICY} raises a drift threshold past the shifted batch (one "
        f"run psi_threshold, one max_drifted_share; max_rmse {shown(MAX_RMSE_RAISED)} in both), "
        "no code changed",
        hint="Read retrain_policy.yaml inside check_triggers on every run; type no threshold "
        "into the DAG.",
    )


def shown(value: float) -> str:
    """A threshold as messages show it (1e9, 1e12, 1)."""
    return f"{value:g}".replace("e+0", "e").replace("e+", "e")


def new_lines(before: str, after: str) -> list[str]:
    return after[len(before) :].splitlines() if after.startswith(before) else after.splitlines()


@pytest.mark.points(2)
def test_every_decision_is_recorded(retraining: Retraining) -> None:
    """Every run appends its decision, with the batch it judged, to data/decisions.jsonl"""
    problems, text = [], ""
    for label in RUNS:
        done = retraining.run(label)
        now = done.read.get(DECISIONS, "")
        lines = [line for line in new_lines(text, now) if line.strip()]
        if not now.startswith(text):
            problems.append(f"the {label} run rewrote earlier lines")
        try:
            events: list[Any] = [json.loads(line) for line in lines]
        except ValueError:
            events = []
            problems.append(f"the {label} run wrote a line that is not JSON")
        if not lines:
            problems.append(f"the {label} run recorded nothing")
        elif events and not any(isinstance(e, dict) for e in events):
            problems.append(f"the {label} run recorded no JSON object")
        elif label != "first" and "check_" not in now[len(text) :]:
            problems.append(f"the {label} run's record does not name its batch")
        text = now
    expect_none(
        problems,
        expected=f"each run to append JSON lines to {DECISIONS}: the batch, the statistics "
        "and the outcome",
        hint="record({'batch': batch_path.name, 'drifted': ..., 'retrain': ...}) with "
        "open(..., 'a'), in check_triggers and in promote.",
        shown=3,
    )
