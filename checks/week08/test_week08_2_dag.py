"""Week 8: dags/ parses into a DagBag and housing_mlflow has train, evaluate and register in
that order, with alpha a DAG param (the check's runs set it)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from conftest import DAG_ID, FIRST_ENV, TASKS, Tracked

from mlops_checks import dag_runs
from mlops_roadmap.checking import expect, expect_none


@pytest.mark.points(2)
@pytest.mark.hint("Run `airflow dags list-import-errors` with env.sh sourced and fix the first.")
def test_dags_import(tracked: Tracked) -> None:
    """dags/ loads into a DagBag with no import errors"""
    found = dag_runs.usable(tracked.found, FIRST_ENV)
    errors = [
        f"{Path(file).name}:\n" + "\n".join(text.strip().splitlines()[-8:])
        for file, text in found.parse_errors.items()
    ]
    expect_none(
        errors,
        expected="every file in dags/ to import (Airflow's DagBag, as the scheduler parses it)",
        hint="Fix the error at the end of each traceback; import mlflow inside the tasks.",
    )
    expect(
        DAG_ID in found.dags,
        expected=f"a DAG with dag_id {DAG_ID!r} in dags/",
        found=f"DAGs: {', '.join(sorted(found.dags)) or 'none'}",
        hint=f"with DAG(dag_id={DAG_ID!r}, ...): in dags/housing_mlflow.py",
    )


def after(tasks: dict[str, Any], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(tasks[start]["downstream"])
    while todo:
        task = todo.pop()
        if task not in seen:
            seen.add(task)
            todo += tasks.get(task, {}).get("downstream", [])
    return seen


@pytest.mark.points(2)
def test_tasks_in_order(dag: dict[str, Any]) -> None:
    """housing_mlflow has train, evaluate and register, in that order, and an alpha param"""
    tasks = dag["tasks"]
    missing = [t for t in TASKS if t not in tasks]
    expect(
        not missing,
        expected=f"the tasks {', '.join(TASKS)}",
        found=f"tasks {', '.join(sorted(tasks)) or 'none'} ({', '.join(missing)} missing)",
        hint="Name the task functions train, evaluate and register.",
    )
    wrong = [
        f"{b} does not run after {a}"
        for a, b in itertools.pairwise(TASKS)
        if b not in after(tasks, a)
    ]
    if "alpha" not in dag["params"]:
        wrong.append(f"no param alpha (params: {', '.join(dag['params']) or 'none'})")
    expect_none(
        wrong,
        expected="train >> evaluate >> register (a branch between them is fine), and a DAG "
        "param alpha the train task fits with",
        hint="DAG(..., params={'alpha': Param(1.0, type='number')}); "
        "candidate = train(); register(candidate, evaluate(candidate)).",
    )
