"""Week 5: train.py itself logs a run, from a clean start, to the store MLFLOW_TRACKING_URI names.

train.py runs in a fresh copy of the week folder (no mlflow.db, no mlruns/) with
MLFLOW_TRACKING_URI pointing at a new SQLite file in that copy, so the learner's own store and
server are never written to; the copy's data is changed first (train.csv's rows shuffled, a
fifth of test.csv left out), so that only a data_md5 and metrics computed from the files match
it. Then probe_tracking.py reads what the run logged, and it is judged as the store's runs are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from conftest import hash_problems, newest_model, param_problems, score_problems

from mlops_roadmap.checking import expect, expect_none, fail

if TYPE_CHECKING:
    from conftest import CleanTraining

TRAIN_TIMEOUT = 240  # as in conftest.py
pytestmark = pytest.mark.timeout(540)  # the training run, then the probe (240 s at most each)


@pytest.mark.points(2)
@pytest.mark.hint("Run `python train.py` from the week folder and fix the first error.")
def test_train_logs_a_run(clean_training: CleanTraining) -> None:
    """python train.py logs a finished run with its model, from a clean start on changed data"""
    done = clean_training
    if done.timed_out:
        fail(
            expected=f"`python train.py` to finish within {TRAIN_TIMEOUT} s",
            found="it was still running, so it was stopped",
            hint="Train once per run; keep the data small.",
        )
    expect(
        done.returncode == 0,
        expected="`python train.py` in a fresh copy of the week folder to exit with status 0",
        found=f"exit status {done.returncode}:\n{done.output_tail}",
    )
    expect(
        done.answer,
        expected=f"train.py to log to the store MLFLOW_TRACKING_URI names ({done.store_uri})",
        found="it finished, but logged nothing there",
        hint="Finish the TODOs in train.py; take the store from the environment: "
        "mlflow.set_tracking_uri(os.environ.get('MLFLOW_TRACKING_URI') or "
        "DEFAULT_TRACKING_URI).",
    )
    store = done.answer.get("store") or {}
    runs = [r for r in store.get("runs", []) if r["status"] == "FINISHED"]
    good = [r for r in runs if any("error" not in m for m in r.get("models", []))]
    expect(
        good,
        expected="a FINISHED run in the experiment 'ames-housing' with a logged model that "
        "loads with mlflow.pyfunc",
        found=store.get("error")
        or done.answer.get("crash")
        or (
            f"{len(runs)} finished run(s), none with a loadable model"
            if store.get("experiment")
            else "no experiment 'ames-housing'"
        ),
        hint="mlflow.set_experiment('ames-housing'); log everything inside "
        "`with mlflow.start_run():`, the model with mlflow.sklearn.log_model(..., name='model').",
    )
    run = good[0]  # the newest
    problems = hash_problems(run, store.get("hashes") or {}, "the copy's data/raw")
    model = newest_model(run)
    problems += param_problems(run, model) if model and "estimator" in model else []
    problems += score_problems(run, done.test_prices) if done.test_prices is not None else []
    expect_none(
        problems,
        expected=f"the run to describe the data it was given ({done.changed}): data_md5 the "
        "MD5 of that train.csv, its metrics its model's scores on that test.csv, its "
        "parameters its model's",
        hint="Compute everything at run time from the files: data_md5 = file_md5(TRAIN_CSV), "
        "the metrics from pipeline.predict(x_test) on data/raw/test.csv, the parameters from "
        "the options the pipeline was built with; nothing pasted from an earlier run.",
    )
