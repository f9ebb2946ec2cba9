"""What runs before what in a workflow: a step comes before another when it is earlier in the
same job, or in a job the other's job waits for (``needs``, directly or through others). Used
for continuous training (week 22): tests, then ``dvc repro``, then the validation gate, then
anything that builds, pushes or deploys."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlops_checks.workflow_rules import BUILD_ACTIONS, BUILDERS, TESTERS, ancestors
from mlops_checks.workflows import Job, Step, Workflow

REPRO = re.compile(r"(?<![\w-])dvc\s+(repro|exp\s+run)(?![\w-])")
GATE = re.compile(r"(?<![\w/-])validate\.py(?![\w-])")
SHIPPERS = re.compile(
    r"(?<![\w-])(docker\s+push|kubectl\s+(apply|set\s+image|rollout)|rollout\.sh|"
    r"mlflow\s+models?\s+\w+|git\s+push)(?![\w-])"
)
IGNORED = re.compile(r"validate\.py[^\n]*(\|\|\s*(true|:|exit\s+0)|;\s*(true|exit\s+0)\s*$)", re.M)


@dataclass(frozen=True)
class At:
    job: Job
    index: int
    step: Step


def steps(workflow: Workflow) -> list[At]:
    return [At(j, i, s) for j in workflow.jobs.values() for i, s in enumerate(j.steps)]


def before(workflow: Workflow, a: At, b: At) -> bool:
    if a.job.id == b.job.id:
        return a.index < b.index
    return a.job.id in ancestors(workflow, b.job.id)


def ships(at: At) -> bool:
    uses = (at.step.uses or "").split("@")[0]
    script = at.step.run or ""
    shipping = BUILDERS.search(script) or SHIPPERS.search(script)
    return bool(shipping) or uses in BUILD_ACTIONS or uses == "docker/login-action"


def gate_faults(workflow: Workflow) -> list[str]:
    """Tests, then dvc repro, then validate.py, then every build, push or deploy step; a gate
    whose failure is ignored is no gate."""
    every = steps(workflow)
    found = {
        "pytest": [a for a in every if TESTERS.search(a.step.run or "")],
        "dvc repro": [a for a in every if REPRO.search(a.step.run or "")],
        "python validate.py": [a for a in every if GATE.search(a.step.run or "")],
    }
    name = workflow.name
    out = [f"{name}: no step runs {what}" for what, ats in found.items() if not ats]
    pairs = (("pytest", "dvc repro"), ("dvc repro", "python validate.py"))
    for first, then in pairs if not out else ():
        if not any(before(workflow, a, b) for a in found[first] for b in found[then]):
            b = found[then][0]
            out.append(f"{name}: {b.step.where} ({then}) runs without waiting for {first}")
    for gate in found["python validate.py"]:
        if gate.step.continue_on_error or IGNORED.search(gate.step.run or ""):
            out.append(f"{name}: {gate.step.where} lets a failing validate.py pass")
    for at in (a for a in every if ships(a)) if found["python validate.py"] else ():
        if not any(before(workflow, g, at) for g in found["python validate.py"]):
            out.append(
                f"{name}: {at.step.where} ({(at.step.uses or '').split('@')[0] or at.step.name}) "
                "does not wait for "
                "validate.py"
            )
    return out
