"""Week 22: the continuous-training workflow where GitHub runs it, triggered by what changes a
model (data version, parameters, the lock file), on a schedule and by hand, with the gate
between training and anything that ships, and the shared rules for tokens, actions,
credentials and scripts."""

from __future__ import annotations

import pytest

from mlops_checks import workflow_checks as shared
from mlops_checks import workflow_order as order
from mlops_checks import workflows
from mlops_checks.workflow_fixtures import Found
from mlops_roadmap.checking import expect_none

CHANGES = ("dvc.lock", "params.yaml", "data/raw.dvc")  # in the week folder: each must trigger

test_workflow_at_root = shared.test_workflow_at_root


@pytest.mark.points(2)
@pytest.mark.hint("paths: filters relative to the repository root, a schedule, workflow_dispatch.")
def test_triggers(found: Found) -> None:
    """It retrains when the data version, params.yaml or dvc.lock change, weekly and by hand"""
    problems = []
    for w in found.required():
        if "push" not in w.on:
            problems.append(f"{w.name} does not run on push")
        else:
            problems += [
                f"a push changing {found.folder}/{path} does not trigger {w.name}"
                for path in CHANGES
                if not workflows.filter_matches(w.paths("push"), f"{found.folder}/{path}")
            ]
        crons = w.on.get("schedule")
        if not (
            isinstance(crons, list) and any(isinstance(c, dict) and c.get("cron") for c in crons)
        ):
            problems.append(f"{w.name} has no schedule (a cron)")
        if "workflow_dispatch" not in w.on:
            problems.append(f"{w.name} cannot be run by hand (no workflow_dispatch)")
    expect_none(
        problems,
        expected=f"on: push to main with paths: that match {found.folder}/dvc.lock, "
        f"{found.folder}/params.yaml and {found.folder}/data/raw.dvc (relative to the "
        "repository root), a schedule with a cron, and workflow_dispatch",
        hint=f"paths: ['{found.folder}/dvc.lock', '{found.folder}/data/**.dvc', "
        f"'{found.folder}/params.yaml', '{found.folder}/src/**'] under push; `schedule: - "
        "cron: '17 4 * * 1'`; `workflow_dispatch:`. A filter written as if the week folder "
        "were the root ('params.yaml') never matches.",
    )


test_schema = shared.test_schema
test_actionlint = shared.test_actionlint


@pytest.mark.points(2)
@pytest.mark.hint("pytest, then dvc repro, then python validate.py, then build and deploy.")
def test_gated_pipeline(found: Found) -> None:
    """Tests, then dvc repro, then validate.py, before anything builds, pushes or deploys"""
    expect_none(
        [p for w in found.required() for p in order.gate_faults(w)],
        expected="a step running pytest, then `dvc repro`, then `python validate.py` (later in "
        "the same job, or in a job that needs the earlier one), and every image build, push "
        "or rollout in a job that needs the validation",
        hint="Put the gate in the training job after `dvc repro` and make the deploy job "
        "`needs:` it; never `continue-on-error: true` or `|| true` on validate.py: a gate "
        "whose failure is ignored deploys every model.",
    )


test_least_permissions = shared.test_least_permissions
test_actions_pinned = shared.test_actions_pinned
test_credentials = shared.test_credentials
test_no_script_injection = shared.test_no_script_injection
