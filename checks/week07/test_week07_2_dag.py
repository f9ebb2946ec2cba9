"""Week 7: dags/ parses into a DagBag (no database needed) and housing_pipeline has the shape
the lesson asks: its tasks in order, retries, a timeout, no catchup, a daily schedule."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import DAG_ID, FIRST_ENV, TASKS, Pipeline

from mlops_checks import dag_runs
from mlops_roadmap.checking import expect, expect_none

DAILY = {"@daily", "@midnight"}
DAILY_CRON = re.compile(r"^\d{1,2} \d{1,2} \* \* \*$")  # minute hour, every day


def traceback_end(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


@pytest.mark.points(2)
@pytest.mark.hint("Run `airflow dags list-import-errors` with env.sh sourced and fix the first.")
def test_dags_import(pipeline: Pipeline, record_property: Callable[[str, object], None]) -> None:
    """dags/ loads into a DagBag with no import errors"""
    found = dag_runs.usable(pipeline.found, FIRST_ENV)
    errors = [
        f"{Path(file).name}:\n{traceback_end(text)}" for file, text in found.parse_errors.items()
    ]
    expect_none(
        errors,
        expected="every file in dags/ to import (Airflow's DagBag, as the scheduler parses it)",
        hint="Fix the error at the end of each traceback; import DAG and task from airflow.sdk.",
    )
    record_property("parse_seconds", round(found.parse_seconds, 2))
    expect(
        DAG_ID in found.dags,
        expected=f"a DAG with dag_id {DAG_ID!r} in dags/",
        found=f"DAGs: {', '.join(sorted(found.dags)) or 'none'}",
        hint=f"with DAG(dag_id={DAG_ID!r}, ...): in dags/housing_pipeline.py",
    )


@pytest.mark.points(1)
def test_parsing_is_light(pipeline: Pipeline, dag: dict[str, Any]) -> None:
    """Parsing dags/ loads no pandas, scikit-learn or MLflow: they load inside the tasks"""
    heavy = pipeline.found.heavy_imports
    expect(
        not heavy,
        expected="dags/ to import only Airflow and the standard library at its top level "
        "(the DAG processor parses it every 30 seconds)",
        found=f"parsing it imported {', '.join(heavy)}",
        hint="Move `import pandas as pd` (and friends) into the task functions that use them; "
        "read no data and train nothing at the top level.",
    )


def downstream(tasks: dict[str, Any], start: str) -> set[str]:
    """Every task that runs after ``start`` (directly or not)."""
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
    """housing_pipeline has the tasks preprocess, train and evaluate, in that order"""
    tasks = dag["tasks"]
    missing = [t for t in TASKS if t not in tasks]
    expect(
        not missing,
        expected=f"the tasks {', '.join(TASKS)}",
        found=f"tasks {', '.join(sorted(tasks)) or 'none'} ({', '.join(missing)} missing)",
        hint="Name the task functions preprocess, train and evaluate (the @task function's "
        "name is its task_id).",
    )
    wrong = [
        f"{after} does not run after {before}"
        for before, after in itertools.pairwise(TASKS)
        if after not in downstream(tasks, before)
    ]
    expect_none(
        wrong,
        expected="preprocess >> train >> evaluate",
        hint="Pass each task's result to the next: evaluate(train(preprocess()), ...).",
    )


def is_daily(schedule: dict[str, Any]) -> bool:
    given, expression = schedule.get("given") or "", schedule.get("expression") or ""
    return (
        given in DAILY
        or bool(DAILY_CRON.match(expression.strip()))
        or schedule.get("seconds") == 86_400.0
    )


@pytest.mark.points(1)
def test_retries_schedule_catchup(dag: dict[str, Any]) -> None:
    """Every task retries, one has a timeout, catchup is off and the schedule is daily"""
    tasks = dag["tasks"]
    problems = [f"{t} has retries={v['retries']}" for t, v in tasks.items() if v["retries"] < 1]
    if not any(v["timeout"] for v in tasks.values()):
        problems.append("no task has an execution_timeout")
    if dag["catchup"]:
        problems.append("catchup is on: the scheduler would run every day since start_date")
    schedule = dag["schedule"]
    if not is_daily(schedule):
        problems.append(
            f"the schedule is {schedule.get('given')!r} ({schedule['kind']}), not daily"
        )
    expect_none(
        problems,
        expected="retries >= 1 on every task, an execution_timeout on the slow one, "
        "catchup=False and schedule='@daily'",
        hint="DAG(..., schedule='@daily', catchup=False, default_args={'retries': 2, "
        "'retry_delay': timedelta(minutes=1)}) and @task(execution_timeout=timedelta(minutes=10)) "
        "on train.",
    )
