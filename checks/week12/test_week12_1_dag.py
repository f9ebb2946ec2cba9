"""Week 12: the Airflow environment, retrain_policy.yaml, and housing_retrain's shape: a
branch from the trigger check to retrain (then promote) or skip, the batch a DAG param."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import DAG_ID, FIRST_ENV, LIBRARIES, POLICY, Retraining

from mlops_checks import airflow_env, dag_runs
from mlops_checks.airflow_env import AirflowEnv
from mlops_roadmap.checking import expect, expect_none

POLICY_KEYS = (
    ("triggers", "min_new_rows"),
    ("triggers", "drift", "psi_threshold"),
    ("triggers", "drift", "max_drifted_share"),
    ("triggers", "performance", "max_rmse"),
    ("promotion", "min_improvement"),
)


@pytest.mark.points(1)
def test_airflow_environment(
    airflow: AirflowEnv, retraining: Retraining, record_property: Callable[[str, object], None]
) -> None:
    """The Airflow environment imports Airflow 3, pandas, scikit-learn and PyYAML"""
    found = retraining.found
    version = found.versions.get("airflow", "")
    expect(
        not found.import_errors and version.startswith("3."),
        expected=f"Airflow 3 and {', '.join(LIBRARIES[1:])} to import with {airflow.python} "
        f"({airflow.origin})",
        found="cannot import " + "; ".join(found.import_errors)
        if found.import_errors
        else found.crash or f"Airflow {version}",
        hint=airflow_env.how_to_make(retraining.copy),
    )
    record_property("airflow", version)


@pytest.mark.points(2)
@pytest.mark.hint("Run `airflow dags list-import-errors` with env.sh sourced and fix the first.")
def test_dags_import(retraining: Retraining) -> None:
    """dags/ loads into a DagBag with no import errors"""
    found = dag_runs.usable(retraining.found, FIRST_ENV)
    errors = [
        f"{Path(file).name}:\n" + "\n".join(text.strip().splitlines()[-8:])
        for file, text in found.parse_errors.items()
    ]
    expect_none(
        errors,
        expected="every file in dags/ to import (Airflow's DagBag, as the scheduler parses it)",
        hint="Fix the error at the end of each traceback.",
    )
    expect(
        DAG_ID in found.dags,
        expected=f"a DAG with dag_id {DAG_ID!r} in dags/",
        found=f"DAGs: {', '.join(sorted(found.dags)) or 'none'}",
    )


@pytest.mark.points(2)
def test_branches_to_retrain_or_skip(dag: dict[str, Any]) -> None:
    """housing_retrain branches from check_triggers to retrain (then promote) or skip"""
    tasks = dag["tasks"]
    problems = [
        f"no task {t}" for t in ("check_triggers", "retrain", "promote", "skip") if t not in tasks
    ]
    if not problems:
        branch = tasks["check_triggers"]
        if "Branch" not in branch["operator"]:
            problems.append(
                f"check_triggers is a {branch['operator']}, not a branch (@task.branch)"
            )
        for follower in ("retrain", "skip"):
            if follower not in branch["downstream"]:
                problems.append(f"{follower} does not follow check_triggers directly")
        if "promote" not in tasks["retrain"]["downstream"]:
            problems.append("promote does not follow retrain")
    if "batch" not in dag["params"]:
        problems.append(f"no param batch (params: {', '.join(dag['params']) or 'none'})")
    expect_none(
        problems,
        expected="@task.branch check_triggers >> [retrain, skip], retrain >> promote, and a DAG "
        "param batch (the path of the batch to judge)",
        hint="check_triggers() >> [candidate, skip()]; promote(candidate); "
        "DAG(..., params={'batch': Param('data/batches/batch_stable.csv', type='string')}).",
    )


def dig(policy: dict[str, Any], keys: tuple[str, ...]) -> object:
    value: object = policy
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


@pytest.mark.points(1)
def test_policy_file(retraining: Retraining) -> None:
    """retrain_policy.yaml holds the triggers (batch size, drift, performance) and promotion"""
    policy = retraining.policy
    expect(
        policy is not None,
        expected=f"{POLICY}: a YAML mapping",
        found="it does not parse as one" if (retraining.copy / POLICY).is_file() else "no file",
        hint="Start from the scaffold's retrain_policy.yaml.",
    )
    assert policy is not None
    missing = [
        ".".join(keys) for keys in POLICY_KEYS if not isinstance(dig(policy, keys), (int, float))
    ]
    expect_none(
        missing,
        expected=f"a number at each of {', '.join('.'.join(k) for k in POLICY_KEYS)}",
        hint="Keep the scaffold's keys; the DAG reads its thresholds from them on every run.",
    )
