"""Week 15: the commands the workflow's lint and test jobs run pass on this machine, replayed
step by step in a fresh copy of the week folder (installs left to the learner's environment)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlops_checks import workflow_rules as rules
from mlops_checks import workflow_steps as steps
from mlops_checks.workflow_fixtures import Found
from mlops_roadmap.checking import expect, fail
from mlops_roadmap.fixtures import CleanCopy, Run

CHAIN = (
    "Make the check 'Lint, then test, then build: each job waits for the one before' pass first."
)
OUTPUTS = ("models",)  # train.py makes it again
pytestmark = pytest.mark.timeout(900)  # each step may take 300 s


@pytest.mark.points(3)
@pytest.mark.hint("Run the lint and test jobs' commands yourself from the workspace root.")
def test_lint_and_tests_pass(
    found: Found, run: Run, clean_copy: CleanCopy, learner_venv: Path | None
) -> None:
    """The lint and test jobs' commands pass here, from a fresh copy of the week folder"""
    jobs = []
    for workflow in found.required():
        role = rules.roles(workflow)
        jobs += [(workflow, workflow.jobs[j]) for j in dict.fromkeys(role["lint"] + role["test"])]
    missing = [
        f"no job runs {what}"
        for what, pattern in (("a linter (ruff)", rules.LINTERS), ("pytest", rules.TESTERS))
        if not any(rules.ran(j, pattern) for _, j in jobs)
    ]
    if missing:
        fail(expected="a lint job and a test job to replay", found="; ".join(missing), hint=CHAIN)
    replayed = []
    for workflow, job in jobs:
        copy = clean_copy(*OUTPUTS)
        if copy.name != Path(found.folder).name:  # the copy sits where the repository has it
            copy = Path(shutil.move(copy, copy.parent / Path(found.folder).name))
        done = steps.replay(run, workflow, job, copy.parent, learner_venv)
        replayed += [f"{d.where} `{d.command}`" for d in done]
        failed = [d for d in done if d.returncode != 0]
        if failed:
            step = failed[0]
            fail(
                expected=f"every run: step of job `{job.id}` in {workflow.name} to exit 0",
                found=f"{step.where} `{step.command}` exited {step.returncode}:\n{step.tail}",
                hint="Run the same commands from the workspace root (with the step's "
                "working-directory) in the workspace .venv, and fix the first failure; the "
                "runner starts from a fresh checkout, so the step must make what it needs "
                "(train.py before the tests).",
            )
    expect(
        bool(replayed),
        expected="run: steps in the lint and test jobs",
        found="the jobs have no run: steps",
        hint="Lint with `ruff check .` and test with `python -m pytest -q` in run: steps.",
    )
