"""Week 14: real Terraform on what of the configuration needs no provider.

The AWS provider cannot always be downloaded (not on the checker's machine), so these checks run
`terraform init`, `validate` and `plan` on scratch modules holding the learner's own variable
blocks: the CIDR variable must refuse the world with the learner's own error message and
accept one address, the instance type variable must refuse an expensive type. The user data is
the learner's template rendered by Terraform's own `templatefile`, then parsed by `bash -n`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    API_PORT,
    GOOD_CIDR,
    GOOD_TYPE,
    cidr_variables,
    given,
    type_variables,
    usable,
)

from mlops_checks import terraform_cli, terraform_scratch
from mlops_checks import terraform_config as tf
from mlops_checks.terraform_policy import BUCKET
from mlops_roadmap.checking import expect, expect_none, fail
from mlops_roadmap.fixtures import Run

BAD_CIDRS = ("0.0.0.0/0", "203.0.113.7")  # the world; an address without its prefix length
BAD_TYPES = ("p4d.24xlarge",)  # eight A100 GPUs, about 30 dollars an hour
REFUSED = "Invalid value for variable"
FETCH = re.compile(r"aws\s+s3\s+(cp|sync)|boto3|s3://")
START = re.compile(r"docker\s+(run|compose\s+up)|uvicorn|docker-compose\s+up")
Note = Any  # pytest's record_property


@dataclass(frozen=True)
class Scratch:
    """A scratch module initialised and validated (``problem`` says why not)."""

    terraform: terraform_cli.Terraform
    folder: Path
    problem: str


def prepared(terraform: terraform_cli.Terraform, run: Run, folder: Path) -> Scratch:
    init = terraform(run, ["init", "-input=false", "-no-color", "-backend=false"], folder)
    if init.returncode != 0:
        return Scratch(terraform, folder, f"terraform init failed: {init.tail(5)}")
    errors = terraform_cli.validate_errors(
        terraform(run, ["validate", "-json", "-no-color"], folder)
    )
    return Scratch(terraform, folder, "; ".join(terraform_cli.describe(e) for e in errors))


@pytest.fixture(scope="module")
def variables(
    config: tf.Config,
    terraform: terraform_cli.Terraform,
    run: Run,
    tmp_path_factory: pytest.TempPathFactory,
) -> Scratch:
    """The learner's variables alone in a module, initialised and validated."""
    folder = tmp_path_factory.mktemp("tf-variables")
    return prepared(terraform, run, terraform_scratch.variables_module(usable(config), folder))


def errors(scratch: Scratch, run: Run, values: dict[str, str], verb: str = "plan") -> list[Any]:
    args = [verb, "-input=false", "-no-color", "-json", "-lock=false"]
    args += ["-auto-approve"] if verb == "apply" else []
    args += [f"-var={k}={v}" for k, v in values.items()]
    return terraform_cli.diagnostics(scratch.terraform(run, args, scratch.folder))


def probe(
    scratch: Scratch, run: Run, config: tf.Config, name: str, good: str, bad: tuple[str, ...]
) -> tuple[list[str], list[str]]:
    """What is wrong with one variable's rules, and what it answered to each bad value."""
    if scratch.problem:
        fail(
            expected="the variables to pass `terraform validate` in a module of their own",
            found=scratch.problem,
            hint="A validation rule may refer to its own variable (and, since Terraform 1.9, "
            "to others), never to resources or data sources.",
        )
    base = given(config)
    problems, answers = [], []
    refused = errors(scratch, run, {**base, name: good})
    if refused:
        problems.append(f"{name} = {good!r} is refused: {terraform_cli.describe(refused[0])}")
    for value in bad:
        found = errors(scratch, run, {**base, name: value})
        if not found:
            problems.append(f"{name} = {value!r} is accepted")
        else:
            answers.append(f"{name}={value}: {terraform_cli.describe(found[0])}")
            if found[0].get("summary") != REFUSED:
                problems.append(
                    f"{name} = {value!r} is refused, but not by a validation rule: "
                    f"{terraform_cli.describe(found[0])}"
                )
    return problems, answers


def probe_each(
    variables: Scratch,
    run: Run,
    config: tf.Config,
    names: list[str],
    values: tuple[str, tuple[str, ...]],
    record_property: Note,
) -> list[str]:
    """:func:`probe` on each variable with (a good value, the bad ones); Terraform's refusals
    noted on the check."""
    good, bad = values
    problems: list[str] = []
    for name in names:
        wrong, answers = probe(variables, run, config, name, good, bad)
        problems += wrong
        for answer in answers:
            record_property("refused", answer)
    return problems


@pytest.mark.points(2)
@pytest.mark.hint(
    "validation { condition = can(cidrhost(var.allowed_cidr, 0)) && endswith(var.allowed_cidr, "
    '"/32")  error_message = "..." }: try `terraform plan -var allowed_cidr=0.0.0.0/0`.'
)
def test_cidr_validation(
    variables: Scratch, config: tf.Config, run: Run, record_property: Note
) -> None:
    """Terraform refuses 0.0.0.0/0 for the allowed CIDR, with your message, and accepts a /32"""
    names = cidr_variables(usable(config))
    expect(names, expected="a CIDR variable the security group uses", found="no CIDR variable")
    expect_none(
        probe_each(variables, run, config, names, (GOOD_CIDR, BAD_CIDRS), record_property),
        expected=f"`terraform plan` to refuse {' and '.join(BAD_CIDRS)} by your validation rule "
        f"and accept {GOOD_CIDR} (run by Terraform on your variables alone)",
    )


@pytest.mark.points(1)
@pytest.mark.hint(
    'validation { condition = contains(["t3.micro", "t3.small"], var.instance_type) '
    'error_message = "..." }: a typo or a costly type is refused before anything is made.'
)
def test_instance_type_validation(
    variables: Scratch, config: tf.Config, run: Run, record_property: Note
) -> None:
    """Terraform refuses an expensive instance type and accepts t3.micro"""
    names = type_variables(usable(config))
    expect(names, expected="a variable for the instance type", found="no such variable")
    expect_none(
        probe_each(variables, run, config, names, (GOOD_TYPE, BAD_TYPES), record_property),
        expected=f"`terraform plan` to refuse {', '.join(BAD_TYPES)} by your validation rule "
        f"and accept {GOOD_TYPE}",
    )


def the_call(config: tf.Config) -> terraform_scratch.Call:
    instances = config.resources("aws_instance")
    expect(instances, expected='a resource "aws_instance"', found="no aws_instance")
    body = instances[0].body
    value = body.get("user_data", body.get("user_data_base64"))
    try:
        call = terraform_scratch.template_call(value)
    except ValueError as exc:
        fail(expected="user_data = templatefile(PATH, {...})", found=str(exc))
    if call is None:
        fail(
            expected="user_data = templatefile(PATH, {...})",
            found=f"{instances[0].address}: user_data is {str(value)[:80] or 'not set'}",
        )
    expect(
        (config.folder / call.path).is_file(),
        expected=f"the template {call.path}",
        found=f"no {call.path} in the week folder",
    )
    return call


def rendered(config: tf.Config, terraform: terraform_cli.Terraform, run: Run, folder: Path) -> str:
    """The user data as Terraform renders it (apply of a module with one output)."""
    scratch = prepared(
        terraform, run, terraform_scratch.render_module(config, the_call(config), folder)
    )
    if scratch.problem:
        fail(expected="the template module to validate", found=scratch.problem)
    found = errors(scratch, run, given(config), verb="apply")
    if found:
        fail(
            expected="Terraform to render the template",
            found="; ".join(terraform_cli.describe(d) for d in found),
            hint="Every ${...} in a .tftpl is Terraform's: give each in the map, and write "
            "shell variables as $${NAME}.",
        )
    output = terraform(run, ["output", "-json", "-no-color"], folder)
    try:
        return str(json.loads(output.stdout)["user_data"]["value"])
    except (ValueError, KeyError) as exc:
        fail(
            expected="terraform output to give the rendered user data",
            found=f"{exc}: {output.tail(3)}",
        )


@pytest.mark.points(2)
@pytest.mark.hint(
    "Copy week 13's deploy/user-data.sh to user-data.sh.tftpl: ${bucket} and ${model_version} "
    "from the templatefile map, shell variables as $${NAME}; it fetches the model with "
    f"`aws s3 cp` and starts the API on port {API_PORT} (docker run -p {API_PORT}:{API_PORT})."
)
def test_user_data(
    config: tf.Config,
    terraform: terraform_cli.Terraform,
    run: Run,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The user data Terraform renders passes `bash -n`, fetches the model and starts the API"""
    usable(config)
    folder = tmp_path_factory.mktemp("tf-user-data")
    text = rendered(config, terraform, run, folder)
    script = folder / "user-data.sh"
    script.write_text(text, encoding="utf-8")
    parsed = run(["bash", "-n", script], timeout=30)
    problems = []
    if parsed.returncode != 0:
        problems.append(f"bash -n: {parsed.tail(3).replace(str(script), 'user data')}")
    if BUCKET not in text:
        problems.append(
            "the rendered script never names the bucket (give the template "
            "aws_s3_bucket.<name>.bucket)"
        )
    if not FETCH.search(text):
        problems.append("it never fetches from S3 (aws s3 cp)")
    if not START.search(text) or str(API_PORT) not in text:
        problems.append(f"it never starts the API on port {API_PORT} (docker run or uvicorn)")
    expect_none(
        problems,
        expected="a script that parses, fetches the model from your bucket and starts the API "
        "(rendered by Terraform's templatefile; it never runs here)",
    )
