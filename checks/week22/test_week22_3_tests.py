"""Week 22: the workflow's lint and test steps pass here, replayed from a fresh copy of the
week folder (installs and `dvc pull` left to the learner's environment and data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_checks import workflow_rules as rules
from mlops_checks import workflow_steps as steps
from mlops_checks.workflow_fixtures import Found
from mlops_checks.workflows import Step
from mlops_roadmap.checking import fail
from mlops_roadmap.fixtures import CleanCopy, Run

pytestmark = pytest.mark.timeout(900)  # each step may take 300 s


def lint_or_test(step: Step) -> bool:
    script = step.run or ""
    return bool(rules.LINTERS.search(script) or rules.TESTERS.search(script))


@pytest.mark.points(2)
@pytest.mark.hint("Run the workflow's ruff and pytest steps yourself from the week folder.")
def test_data_tests_pass(
    found: Found, run: Run, clean_copy: CleanCopy, learner_venv: Path | None
) -> None:
    """The workflow's lint and pytest steps pass here, from a fresh copy of the week folder"""
    jobs = [
        (w, j) for w in found.required() for j in w.jobs.values() if any(map(lint_or_test, j.steps))
    ]
    if not any(rules.ran(j, rules.TESTERS) for _, j in jobs):
        fail(
            expected="a step that runs pytest on the data tests before training",
            found="no run: step runs pytest",
            hint="Add `python -m pytest -q tests` to the job that trains, before `dvc repro`, "
            "or to a job it needs.",
        )
    for workflow, job in jobs:
        copy = clean_copy("models")
        done = steps.replay(run, workflow, job, copy.parent, learner_venv, keep=lint_or_test)
        failed = [d for d in done if d.returncode != 0]
        if failed:
            step = failed[0]
            fail(
                expected=f"the ruff and pytest steps of job `{job.id}` in {workflow.name} to "
                "exit 0",
                found=f"{step.where} `{step.command}` exited {step.returncode}:\n{step.tail}",
                hint="Run the same command from the step's working directory in the workspace "
                ".venv and fix the first failure: the data tests must pass on the real data.",
            )
