"""What a GitHub Actions workflow means, judged over its parsed YAML: the job chain, the token's
permissions, pinned actions, where credentials come from and script injection. Each rule returns
one line per fault, naming the file and the place (``ci.yml: jobs.build.steps[2] ...``).
Where credentials come from is judged in ``workflow_credentials``."""

from __future__ import annotations

import re
from collections.abc import Iterable

from mlops_checks.workflows import Job, Step, Workflow

LINTERS = re.compile(r"(?<![\w-])(ruff|flake8|pylint|pycodestyle)(?![\w-])")
TESTERS = re.compile(r"(?<![\w-])pytest(?![\w-])")
BUILDERS = re.compile(r"(?<![\w-])docker\s+(buildx\s+build|build|image\s+build)(?![\w-])")
BUILD_ACTIONS = ("docker/build-push-action",)
FIRST_PARTY = ("actions", "github")  # GitHub's own actions
SHA = re.compile(r"[0-9a-f]{40}")
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
# Contexts an outsider writes: titles, bodies, messages, branch names, labels, author fields.
UNTRUSTED = re.compile(
    r"github\.head_ref|github\.event\.[\w.\[\]'\"*-]*?"
    r"(title|body|message|head_ref|ref|label|name|email|head_branch|page_name|text)\b"
)


def ran(job: Job, pattern: re.Pattern[str]) -> bool:
    return bool(pattern.search(job.scripts()))


def builds(job: Job) -> bool:
    uses = [s.uses.split("@")[0] for s in job.steps if s.uses]
    return ran(job, BUILDERS) or any(u in BUILD_ACTIONS for u in uses)


def ancestors(workflow: Workflow, job_id: str) -> set[str]:
    """Every job ``job_id`` waits for, directly or through others."""
    seen: set[str] = set()
    todo = list(workflow.jobs[job_id].needs) if job_id in workflow.jobs else []
    while todo:
        need = todo.pop()
        if need not in seen:
            seen.add(need)
            todo.extend(workflow.jobs[need].needs if need in workflow.jobs else ())
    return seen


def roles(workflow: Workflow) -> dict[str, list[str]]:
    jobs = workflow.jobs.values()
    return {
        "lint": [j.id for j in jobs if ran(j, LINTERS)],
        "test": [j.id for j in jobs if ran(j, TESTERS)],
        "build": [j.id for j in jobs if builds(j)],
    }


def waits(workflow: Workflow, job_id: str, before: list[str]) -> bool:
    """Whether ``job_id`` waits for one of ``before`` (or is one of them)."""
    return job_id in before or bool(ancestors(workflow, job_id) & set(before))


def chain(workflow: Workflow) -> list[str]:
    """lint -> test -> build: every build waits for the tests, every test for the lint."""
    role = roles(workflow)
    missing = {
        "lint": "no job runs a linter (ruff, flake8, pylint)",
        "test": "no job runs pytest",
        "build": "no job builds the image (docker build or docker/build-push-action)",
    }
    out = [f"{workflow.name}: {missing[r]}" for r in missing if not role[r]]
    for first, then in (("lint", "test"), ("test", "build")):
        for job_id in role[then] if role[first] else []:
            if not waits(workflow, job_id, role[first]):
                needs = ", ".join(workflow.jobs[job_id].needs) or "nothing"
                out.append(
                    f"{workflow.name}: job `{job_id}` ({then}) does not wait for the {first} "
                    f"job `{role[first][0]}` (its needs: {needs})"
                )
    return out


def writes(permissions: object) -> list[str]:
    if isinstance(permissions, dict):
        return [f"{k}: write" for k, v in permissions.items() if str(v) == "write"]
    return []


def permission_faults(workflow: Workflow) -> list[str]:
    """Least privilege: no write-all, nothing written at the top, every job's token declared."""
    out = []
    top = workflow.permissions
    if top == "write-all":
        out.append(f"{workflow.name}: `permissions: write-all` at the top, for every job")
    elif writes(top):
        granted = ", ".join(writes(top))
        out.append(f"{workflow.name}: the top-level permissions grant {granted} to every job")
    for job in workflow.jobs.values():
        if job.permissions == "write-all":
            out.append(f"{workflow.name}: job `{job.id}` has `permissions: write-all`")
        elif job.permissions is None and top is None:
            out.append(
                f"{workflow.name}: job `{job.id}` runs with the repository's default token "
                "permissions (no permissions block at the top or on the job)"
            )
    return out


def action_refs(workflow: Workflow) -> Iterable[tuple[str, str]]:
    for job in workflow.jobs.values():
        if job.uses:
            yield f"jobs.{job.id}", job.uses
        for step in job.steps:
            if step.uses:
                yield step.where, step.uses


def unpinned(workflow: Workflow) -> list[str]:
    """Third-party actions and reusable workflows not pinned to a full commit SHA."""
    out = []
    for where, uses in action_refs(workflow):
        if uses.startswith(("./", "docker://")):
            continue
        action, _, ref = uses.partition("@")
        if action.split("/")[0] in FIRST_PARTY or SHA.fullmatch(ref):
            continue
        what = f"@{ref}, a tag or branch its owner can move" if ref else "without a ref"
        out.append(f"{workflow.name}: {where} uses {action} {what}")
    return out


def script_of(step: Step) -> str:
    return (step.run or "") + "\n" + step.with_.get("script", "")


def injections(workflow: Workflow) -> list[str]:
    """Untrusted event text (titles, bodies, branch names) expanded into a script."""
    out = []
    for job in workflow.jobs.values():
        for step in job.steps:
            for expr in EXPRESSION.findall(script_of(step)):
                if UNTRUSTED.search(expr):
                    out.append(
                        f"{workflow.name}: {step.where} expands ${{{{{expr}}}}} into its script"
                    )
    return out
