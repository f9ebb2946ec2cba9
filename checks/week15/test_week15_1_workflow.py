"""Week 15: the week's workflow where GitHub runs it, read as GitHub and actionlint read it,
then judged for what it means: its triggers, the job chain, the token's permissions, pinned
actions, where credentials come from, and untrusted text kept out of scripts."""

from __future__ import annotations

import pytest

from mlops_checks import workflow_checks as shared
from mlops_checks import workflow_rules as rules
from mlops_checks.workflow_fixtures import Found
from mlops_roadmap.checking import expect_none

TRIGGERS = ("push", "pull_request")

test_workflow_at_root = shared.test_workflow_at_root


@pytest.mark.points(1)
@pytest.mark.hint("`on:` with both `push:` and `pull_request:`.")
def test_triggers(found: Found) -> None:
    """The week's workflow runs on push and on pull_request"""
    expect_none(
        [
            f"{w.name} runs on {', '.join(w.on) or 'nothing'}"
            for w in found.required()
            if not all(t in w.on for t in TRIGGERS)
        ],
        expected="the week's workflow to run on push and on pull_request",
        hint="`on:` with `push:` (branches: [main]) and `pull_request:`, each filtered on "
        f"paths: ['{found.folder}/**', '.github/workflows/<this file>'].",
    )


test_schema = shared.test_schema
test_actionlint = shared.test_actionlint


@pytest.mark.points(2)
@pytest.mark.hint("`needs:` chains the jobs: test needs lint, build needs test.")
def test_job_chain(found: Found) -> None:
    """Lint, then test, then build: each job waits for the one before through needs"""
    expect_none(
        [p for w in found.required() for p in rules.chain(w)],
        expected="a job that lints (ruff check), a job that runs pytest and needs it, and a job "
        "that builds the image and needs the tests (lint and test may share one job)",
        hint="Jobs run in parallel unless `needs:` orders them: `test: needs: lint`, `build: "
        "needs: test`; a build that does not wait publishes images of failing code.",
    )


test_least_permissions = shared.test_least_permissions
test_actions_pinned = shared.test_actions_pinned
test_credentials = shared.test_credentials
test_no_script_injection = shared.test_no_script_injection
