"""Where a workflow's credentials come from: only ``secrets.*`` (through ``with:`` or ``env:``)
or OIDC. A credential typed into the file, taken from ``vars.*``, expanded into a script or
printed is a fault; so is a role assumed through OIDC without ``id-token: write``."""

from __future__ import annotations

import re
from collections.abc import Iterable

from mlops_checks.workflow_rules import EXPRESSION
from mlops_checks.workflows import Workflow

CREDENTIAL_KEY = re.compile(
    r"pass(word|wd)?|token|secret|api[-_]?key|access[-_]?key|private[-_]?key|credentials?",
    re.I,
)
NOT_CREDENTIALS = {"role-to-assume", "token-format", "secret-name"}
CREDENTIAL_SHAPES = {
    "an AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "a GitHub token": re.compile(r"\b(ghp|gho|ghs|ghu)_[A-Za-z0-9]{30,}|github_pat_\w{30,}"),
    "a private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "a Slack token": re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}"),
}
SHOWN = re.compile(r"(?<![\w-])(echo|printf|cat|tee)(?![\w-])")
PIPED = re.compile(r"(?<!\|)\|(?!\|)")  # `echo "$TOKEN" | docker login --password-stdin`


def values(workflow: Workflow) -> Iterable[tuple[str, str, str]]:
    """(place, key, value) of every env and with entry."""
    for key, value in workflow.env.items():
        yield f"env.{key}", key, value
    for job in workflow.jobs.values():
        for key, value in job.env.items():
            yield f"jobs.{job.id}.env.{key}", key, value
        for step in job.steps:
            for kind, items in (("env", step.env), ("with", step.with_)):
                for key, value in items.items():
                    yield f"{step.where}.{kind}.{key}", key, value


def typed_credentials(workflow: Workflow, text: str) -> list[str]:
    out = []
    for place, key, value in values(workflow):
        if key.lower() in NOT_CREDENTIALS or not CREDENTIAL_KEY.search(key) or not value:
            continue
        if "${{" not in value:
            out.append(f"{workflow.name}: {place} is typed into the workflow")
        elif re.search(r"\bvars\.", value):
            out.append(f"{workflow.name}: {place} comes from vars.*, which are not secret")
    for line_no, line in enumerate(text.splitlines(), 1):
        for kind, shape in CREDENTIAL_SHAPES.items():
            if shape.search(line):
                out.append(f"{workflow.name}:{line_no}: {kind} written in the file")
    return out


def secret_names(env: dict[str, str]) -> set[str]:
    return {k for k, v in env.items() if re.search(r"\bsecrets\.", v)}


def shown_secrets(workflow: Workflow) -> list[str]:
    """Secrets expanded into a script, or printed from the environment."""
    out = []
    for job in workflow.jobs.values():
        for step in job.steps:
            script = step.run or ""
            for expr in EXPRESSION.findall(script):
                if re.search(r"\bsecrets\.", expr):
                    out.append(
                        f"{workflow.name}: {step.where} puts ${{{{{expr}}}}} into its run script"
                    )
            named = secret_names({**workflow.env, **job.env, **step.env})
            for line in script.splitlines():
                said = [n for n in named if re.search(rf"\$\{{?{n}\b", line)]
                if said and SHOWN.search(line) and not PIPED.search(line):
                    out.append(f"{workflow.name}: {step.where} prints ${said[0]} (a secret)")
    return out


def oidc_faults(workflow: Workflow) -> list[str]:
    """A role assumed with OIDC needs ``id-token: write`` on the job (or at the top)."""
    out = []
    for job in workflow.jobs.values():
        for step in job.steps:
            oidc = "role-to-assume" in step.with_ and not any("access-key" in k for k in step.with_)
            granted = job.permissions if job.permissions is not None else workflow.permissions
            token = granted.get("id-token") if isinstance(granted, dict) else granted
            if oidc and token not in ("write", "write-all"):
                out.append(
                    f"{workflow.name}: {step.where} assumes a role with OIDC, but job "
                    f"`{job.id}` has no `id-token: write`"
                )
    return out


def credential_faults(workflow: Workflow, text: str) -> list[str]:
    return typed_credentials(workflow, text) + shown_secrets(workflow) + oidc_faults(workflow)
