"""Week 14: the configuration as a whole: formatted as `terraform fmt` writes it, versions
pinned, state in an S3 backend, and no credentials anywhere in it or in git's reach."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import usable

from mlops_checks import secret_scan, terraform_cli
from mlops_checks import terraform_config as tf
from mlops_roadmap.checking import blocked, expect, expect_none, fail
from mlops_roadmap.fixtures import CleanCopy, Run

SOURCES = ("hashicorp/aws", "registry.terraform.io/hashicorp/aws")
CONSTRAINT = re.compile(r"^\s*(>=|~>|=|>|<=|<|!=)?\s*v?(\d+(?:\.\d+){0,2})\s*$")
CREDENTIALS = ("access_key", "secret_key", "token")
SCANNED = ("*.tf", "*.tfvars", "*.tftpl", "*.hcl", "*.sh")
IGNORED = (".terraform/providers/x", "terraform.tfstate", "terraform.tfstate.backup")


@pytest.mark.points(1)
@pytest.mark.hint("Run `terraform fmt -recursive` in the week folder and commit what it changes.")
def test_formatted(terraform: terraform_cli.Terraform, run: Run, clean_copy: CleanCopy) -> None:
    """`terraform fmt -check` finds nothing to reformat"""
    copy = clean_copy(".terraform")
    result = terraform(run, ["fmt", "-check", "-recursive", "-list=true", "-no-color"], copy)
    files = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    expect(
        result.returncode == 0,
        expected="`terraform fmt -check -recursive` to exit 0",
        found=f"not formatted: {', '.join(files)}" if files else result.tail(6),
    )


def parts(constraint: str) -> list[tuple[str, tuple[int, ...], int]]:
    """``">= 1.10, < 2"`` -> [(">=", (1, 10, 0), 2), ("<", (2, 0, 0), 1)]: each part's
    operator, version (padded) and how many numbers it gave; unreadable parts are dropped."""
    found = []
    for part in constraint.split(","):
        match = CONSTRAINT.match(part)
        if match:
            numbers = [int(n) for n in match[2].split(".")]
            found.append((match[1] or "=", tuple(numbers + [0] * (3 - len(numbers))), len(numbers)))
    return found


def lowest(constraint: str) -> tuple[int, ...] | None:
    """The lowest version a constraint allows, when it has a lower bound."""
    bounds = [v for op, v, _ in parts(constraint) if op in (">=", "~>", "=", ">")]
    return max(bounds) if bounds else None


def within_major(constraint: str, major: int) -> bool:
    """Whether a constraint allows only ``major``.x from some version on: ``~> 5.92``,
    ``~> 5.92.0``, ``= 5.92.0``, or ``>= 5.92, < 6``."""
    given = parts(constraint)
    if any(op in ("~>", "=") and v[0] == major and (n >= 2 or op == "=") for op, v, n in given):
        return True
    low, high = lowest(constraint), [v for op, v, _ in given if op == "<"]
    return low is not None and low[0] == major and any(v <= (major + 1, 0, 0) for v in high)


def backend(config: tf.Config) -> tuple[str, dict[str, Any]] | None:
    for settings in config.settings:
        for entry in tf.blocks(settings, "backend"):
            for kind, body in tf.clean(entry).items():
                return kind, body if isinstance(body, dict) else {}
    return None


def provider_pin(config: tf.Config) -> list[str]:
    aws = [
        tf.clean(p).get("aws")
        for s in config.settings
        for p in tf.blocks(s, "required_providers")
        if "aws" in tf.clean(p)
    ]
    if not aws or not isinstance(aws[0], dict):
        return ["no aws entry in terraform { required_providers { ... } }"]
    source, version = tf.literal(aws[0].get("source")), tf.literal(aws[0].get("version"))
    problems = [] if source in SOURCES else [f'aws source is {source!r}, not "hashicorp/aws"']
    if version is None:
        problems.append("the aws provider's version is not pinned")
    elif not within_major(version, 5):
        problems.append(f'the aws provider\'s version "{version}" is not held within 5.x')
    return problems


@pytest.mark.points(2)
@pytest.mark.hint(
    'terraform { required_version = ">= 1.10"  required_providers { aws = { source = '
    '"hashicorp/aws", version = "~> 5.92" } } } (5.x: the emulated AWS the plan check uses '
    "does not work with provider 6); commit .terraform.lock.hcl after `terraform init`."
)
def test_versions_pinned(config: tf.Config) -> None:
    """Terraform and the AWS provider versions are pinned"""
    usable(config)
    wanted = [tf.literal(s.get("required_version")) for s in config.settings]
    required = next((w for w in wanted if w), None)
    problems = provider_pin(config)
    state = backend(config)
    locks = state is not None and state[1].get("use_lockfile") is True
    low = lowest(required) if required else None
    if low is None:
        problems.insert(0, "no required_version with a lower bound in terraform { ... }")
    elif locks and low < (1, 10):
        problems.insert(
            0,
            f'required_version "{required}" allows Terraform before 1.10, which has no '
            "use_lockfile for the S3 backend",
        )
    expect_none(
        problems,
        expected='required_version with a lower bound (">= 1.10" with use_lockfile) and the aws '
        'provider from "hashicorp/aws" held within 5.x ("~> 5.92")',
    )


@pytest.mark.points(1)
@pytest.mark.hint(
    'terraform { backend "s3" { key = "week14/terraform.tfstate"  encrypt = true  use_lockfile '
    "= true } }, with the bucket and region given at init: `terraform init "
    "-backend-config=backend.hcl`."
)
def test_remote_state(config: tf.Config) -> None:
    """State is kept in an S3 backend, encrypted, with a lock file"""
    usable(config)
    state = backend(config)
    if state is None:
        fail(
            expected='a backend "s3" block in terraform { ... }',
            found="no backend: state stays in terraform.tfstate on one disk",
        )
    kind, body = state
    problems = [] if kind == "s3" else [f'backend "{kind}", not "s3"']
    problems += [f"{k} is not true" for k in ("encrypt", "use_lockfile") if body.get(k) is not True]
    problems += [] if tf.literal(body.get("key")) else ["no key (the state object's path)"]
    problems += [f"it sets {k}: credentials never go in code" for k in CREDENTIALS if k in body]
    expect_none(problems, expected='backend "s3" with key, encrypt = true and use_lockfile = true')


def provider_credentials(config: tf.Config) -> list[str]:
    return [
        f"provider {p.name} ({p.file}) sets {key}"
        for p in config.of("provider")
        for key in CREDENTIALS
        if key in p.body
    ]


def scanned(folder: Path) -> list[Path]:
    files = {p for pattern in SCANNED for p in folder.glob(pattern) if p.is_file()}
    return sorted(files)


def not_ignored(run: Run, folder: Path) -> list[str]:
    result = run(["git", "check-ignore", "--no-index", *IGNORED], cwd=folder, timeout=30)
    if result.returncode not in (0, 1):
        blocked(
            f"git check-ignore failed: {result.tail(2)}",
            hint="Run the checks in a git "
            "repository (`mlops-roadmap init` makes the workspace one).",
        )
    ignored = set(result.stdout.split())
    return [f"{p.split('/')[0]} is not git-ignored" for p in IGNORED if p not in ignored]


@pytest.mark.points(2)
@pytest.mark.hint(
    "Never put access_key/secret_key in the provider or backend: Terraform reads AWS_PROFILE "
    "or AWS_ACCESS_KEY_ID from your environment. Add .terraform/, *.tfstate and *.tfstate.* to "
    "the week folder's .gitignore."
)
def test_no_credentials(config: tf.Config, week_dir: Path, run: Run) -> None:
    """No credentials in the configuration, and state and the provider cache stay out of git"""
    usable(config)
    problems = provider_credentials(config)
    for path in scanned(week_dir):
        problems += [str(f) for f in secret_scan.scan_text(path.name, path.read_text("utf-8"))]
    problems += not_ignored(run, week_dir)
    expect_none(
        problems,
        expected="no credential in any .tf, .tfvars, .hcl or template file, no keys in the "
        "provider, and .terraform/ and state files git-ignored",
    )
