"""Week 14: `terraform validate` and `terraform plan` of the whole configuration, against an
emulated AWS (moto's server on loopback), where the AWS provider can be installed.

The provider comes from the week folder's own `.terraform/providers` (a learner's `terraform
init` put it there) and from nowhere else: the check never downloads. Without it (no network to
registry.terraform.io, as on the course's own test machines) the check is blocked with how to
get it: it never passes without a real plan. The plan runs in a copy of the week folder with
two override files of the check's: a local backend instead of the S3 one, and the provider
pointed at the emulator with its dummy credentials. Nothing is applied.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import given, usable

from mlops_checks import aws_emulator, terraform_cli
from mlops_checks import terraform_config as tf
from mlops_roadmap import servers
from mlops_roadmap.checking import blocked, expect_none, fail
from mlops_roadmap.fixtures import CleanCopy, Run, Serve

pytestmark = pytest.mark.timeout(900)
INIT_TIMEOUT = 300
PLAN_TIMEOUT = 300
GET_PROVIDER = (
    "On a machine that reaches registry.terraform.io, run `terraform init -backend=false` in "
    "the week folder once: the provider lands in .terraform/providers/, where this check finds "
    "it. The emulated AWS needs provider 5.x (~> 5.92)."
)
UNREACHABLE = re.compile(
    r"registry\.terraform\.io|Failed to (query|install)|could not connect|no such host|"
    r"proxyconnect|connection refused|i/o timeout|dial tcp",
    re.IGNORECASE,
)
BACKEND = 'terraform {\n  backend "local" {}\n}\n'
PROVIDER = """provider "aws" {{
  access_key                  = "testing"
  secret_key                  = "testing"
  region                      = "{region}"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  s3_use_path_style           = true
  endpoints {{
{endpoints}
  }}
}}
"""
SERVICES = ("ec2", "iam", "s3", "ssm", "sts")
PLANNED = (
    "aws_s3_bucket",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_public_access_block",
    "aws_iam_role",
    "aws_iam_instance_profile",
    "aws_security_group",
    "aws_instance",
)


def init(
    config: tf.Config, terraform: terraform_cli.Terraform, run: Run, copy: Path, week_dir: Path
) -> None:
    """`terraform init` in the copy (a local backend for the S3 one), or the check is blocked
    (no provider) or fails."""
    if any(tf.blocks(s, "backend") for s in config.settings):
        (copy / "zz_checks_backend_override.tf").write_text(BACKEND, encoding="utf-8")
    cached = week_dir / ".terraform" / "providers"
    if not cached.is_dir():  # the check never downloads: the learner's own init does
        blocked(
            "the week folder has no .terraform/providers (no `terraform init` yet)",
            hint=GET_PROVIDER,
        )
    args = ["init", "-input=false", "-no-color", f"-plugin-dir={cached}"]
    result = terraform(run, args, copy, timeout=INIT_TIMEOUT)
    why = first_error(result.stderr) or result.tail(6)
    if result.timed_out or (result.returncode != 0 and UNREACHABLE.search(result.stderr)):
        blocked(f"the AWS provider cannot be installed here: {why}", hint=GET_PROVIDER)
    if result.returncode != 0:
        fail(expected="`terraform init` to succeed", found=why)


def first_error(text: str) -> str:
    """Terraform's first "Error: ..." and the paragraph under it, on one line."""
    _, found, rest = text.partition("Error: ")
    if not found:
        return ""
    summary, _, body = rest.partition("\n\n")
    return f"{summary.strip()}: {' '.join(body.split(chr(10) * 2)[0].split())}"


def point_at(copy: Path, aws: aws_emulator.Emulator) -> None:
    endpoints = "\n".join(f'    {s} = "{aws.url}"' for s in SERVICES)
    text = PROVIDER.format(region=aws_emulator.REGION, endpoints=endpoints)
    (copy / "zz_checks_aws_override.tf").write_text(text, encoding="utf-8")


def planned(terraform: terraform_cli.Terraform, run: Run, copy: Path) -> set[str]:
    show = terraform(run, ["show", "-json", "-no-color", "tfplan"], copy)
    try:
        changes = json.loads(show.stdout).get("resource_changes", [])
    except ValueError:
        fail(expected="`terraform show -json tfplan` to answer", found=show.tail(4))
    return {c["type"] for c in changes if "create" in c.get("change", {}).get("actions", [])}


@pytest.mark.points(3)
@pytest.mark.external("the AWS provider (hashicorp/aws ~> 5.92), which `terraform init` downloads")
@pytest.mark.hint("Run `terraform validate` and `terraform plan` yourself and fix the first error.")
def test_plan(
    config: tf.Config,
    run: Run,
    serve: Serve,
    clean_copy: CleanCopy,
    week_dir: Path,
    learner_python: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """`terraform validate` and `terraform plan` succeed against an emulated AWS"""
    usable(config)
    home = tmp_path_factory.mktemp("terraform-plan")
    terraform = terraform_cli.find(home / "home")
    copy = clean_copy(".terraform", "terraform.tfstate", "terraform.tfstate.backup", "tfplan")
    init(config, terraform, run, copy, week_dir)
    checked = terraform(run, ["validate", "-json", "-no-color"], copy)
    expect_none(
        [terraform_cli.describe(d, located=True) for d in terraform_cli.validate_errors(checked)],
        expected="`terraform validate` to find nothing",
    )
    try:
        aws = aws_emulator.start(serve, home / "aws", learner_python)
    except servers.ServerFailed as exc:
        blocked(f"the emulated AWS (moto's server) did not start: {exc}: {exc.tail}")
    point_at(copy, aws)
    args = ["plan", "-input=false", "-no-color", "-json", "-lock=false", "-out=tfplan"]
    args += [f"-var={k}={v}" for k, v in given(config).items()]
    result = terraform(run, args, copy, timeout=PLAN_TIMEOUT)
    errors = [terraform_cli.describe(d, located=True) for d in terraform_cli.diagnostics(result)]
    if result.returncode != 0:
        fail(expected="`terraform plan` to succeed", found="; ".join(errors) or result.tail(6))
    missing = [t for t in PLANNED if t not in planned(terraform, run, copy)]
    expect_none(
        [f"the plan creates no {t}" for t in missing],
        expected=f"a plan that creates {', '.join(PLANNED)}",
    )
