"""Week 14: the security group, the instance, the variables and the outputs, read from the
configuration as data (what the variables' validation rules really do is asked of Terraform by
the probes in test_week14_4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from conftest import (
    API_PORT,
    INGRESS,
    SSH,
    cidr_variables,
    sources,
    type_variables,
    usable,
    variable_of,
)

from mlops_checks import terraform_config as tf
from mlops_roadmap.checking import expect, expect_none

WORLD = ("0.0.0.0/0", "::/0")
TCP = ("tcp", "6")


@dataclass(frozen=True)
class Rule:
    where: str
    protocol: str
    low: int | None
    high: int | None
    sources: tuple[str, ...]  # "var.allowed_cidr", "0.0.0.0/0", or an expression as written

    def __str__(self) -> str:
        ports = (
            ""
            if self.low is None
            else f" {self.low}" + (f"-{self.high}" if self.high != self.low else "")
        )
        proto = "all traffic" if self.protocol in ("-1", "all") else self.protocol
        return f"{self.where}: {proto}{ports} from {', '.join(self.sources) or 'nowhere'}"


def number(config: tf.Config, value: Any) -> int | None:
    """A port: a number, or a variable's default."""
    name = variable_of(value)
    if name is not None:
        variable = config.get(f"var.{name}")
        value = variable.body.get("default") if variable else None
    text = tf.literal(value) if isinstance(value, str) and value.startswith('"') else value
    try:
        return int(str(text))
    except ValueError:
        return None


def source_text(value: Any) -> str:
    return tf.literal(value) or (
        f"var.{variable_of(value)}" if variable_of(value) else tf.expression(value)
    )


def rule(config: tf.Config, where: str, body: dict[str, Any]) -> Rule:
    protocol = tf.literal(body.get("protocol", body.get("ip_protocol"))) or "?"
    return Rule(
        where,
        protocol.lower(),
        number(config, body.get("from_port")),
        number(config, body.get("to_port")),
        tuple(source_text(s) for s in sources(body)),
    )


def ingress_rules(config: tf.Config) -> list[Rule]:
    found = [
        rule(config, group.address, block)
        for group in config.resources("aws_security_group")
        for block in tf.blocks(group.body, "ingress")
    ]
    for type_ in INGRESS:
        for r in config.resources(type_):
            if type_ != "aws_security_group_rule" or tf.literal(r.body.get("type")) == "ingress":
                found.append(rule(config, r.address, r.body))
    return found


def rule_problems(r: Rule) -> list[str]:
    if r.protocol not in TCP or r.low is None or r.low != r.high:
        return [f"{r}: only tcp {API_PORT} and {SSH}, one port a rule"]
    if r.low not in (API_PORT, SSH):
        return [f"{r}: only tcp {API_PORT} and {SSH} may be open"]
    problems = []
    for source in r.sources:
        if source in WORLD:
            what = "SSH" if r.low == SSH else "the API"
            problems.append(f"{r}: {what} open to the world ({source})")
        elif not source.startswith("var."):
            problems.append(
                f"{r}: the source {source} is not a variable (take it from a "
                "validated variable, as var.allowed_cidr)"
            )
    return problems


@pytest.mark.points(3)
@pytest.mark.hint(
    f"aws_security_group with ingress tcp {API_PORT} (and SSH on {SSH}, if at all) whose "
    "cidr_blocks = [var.allowed_cidr]: never 0.0.0.0/0, no other port, no range, no "
    "all-traffic rule. Egress may stay open."
)
def test_security_group(config: tf.Config) -> None:
    """The security group opens only the API port and SSH, from a variable CIDR"""
    groups = usable(config).resources("aws_security_group")
    expect(groups, expected='a resource "aws_security_group"', found="no aws_security_group")
    rules = ingress_rules(config)
    problems = [p for r in rules for p in rule_problems(r)]
    if not any(r.low == API_PORT and r.protocol in TCP for r in rules):
        problems.append(f"no ingress rule opens tcp {API_PORT}, so the API cannot be called")
    expect_none(
        problems,
        expected=f"ingress tcp {API_PORT} (and {SSH}) from a variable CIDR, nothing else",
    )


def instance_problems(config: tf.Config, instance: tf.Block) -> list[str]:
    at, body = instance.address, instance.body
    problems = []
    options = tf.blocks(body, "metadata_options")
    tokens = tf.literal(options[0].get("http_tokens")) if options else None
    if tokens != "required":
        problems.append(f"{at}: http_tokens {tokens or 'not set'} (IMDSv1 still answers)")
    profiles = [r for r in tf.references(body.get("iam_instance_profile")) if config.get(r)]
    if not any(r.startswith("aws_iam_instance_profile.") for r in profiles):
        problems.append(f"{at}: no iam_instance_profile of this configuration")
    if variable_of(body.get("instance_type")) is None:
        problems.append(
            f"{at}: instance_type is {source_text(body.get('instance_type'))}, not a variable"
        )
    if "Name" not in str(body.get("tags", "")):
        problems.append(f"{at}: no Name tag")
    groups = tf.references(body.get("vpc_security_group_ids", ""))
    if not any(g.startswith("aws_security_group.") for g in groups):
        problems.append(f"{at}: no vpc_security_group_ids of this configuration")
    user_data = str(body.get("user_data", body.get("user_data_base64", "")))
    if "templatefile(" not in user_data:
        problems.append(f"{at}: user_data is not rendered with templatefile()")
    return problems


@pytest.mark.points(3)
@pytest.mark.hint(
    "aws_instance with instance_type = var.instance_type, iam_instance_profile = "
    "aws_iam_instance_profile.<name>.name, vpc_security_group_ids = "
    '[aws_security_group.<name>.id], metadata_options { http_tokens = "required" }, tags with '
    'a Name, and user_data = templatefile("${path.module}/user-data.sh.tftpl", {...}).'
)
def test_instance(config: tf.Config) -> None:
    """The instance requires IMDSv2, has the instance profile and tags, its type from a variable"""
    instances = usable(config).resources("aws_instance")
    expect(instances, expected='a resource "aws_instance"', found="no aws_instance")
    expect_none(
        [p for i in instances for p in instance_problems(config, i)],
        expected="IMDSv2 only, the instance profile, the security group, a Name tag, the type "
        "from a variable and user data from a template",
    )


@pytest.mark.points(2)
@pytest.mark.hint(
    "Every variable has a type and a description; the CIDR and instance type variables each "
    'have a validation { condition = ...  error_message = "..." } block.'
)
def test_variables(config: tf.Config) -> None:
    """Variables have types, and the CIDR and instance type have validation rules"""
    variables = usable(config).of("variable")
    expect(variables, expected="variable blocks", found="no variable")
    problems = [
        f"var.{v.name} has no {key}"
        for v in variables
        for key in ("type", "description")
        if key not in v.body
    ]
    guarded = cidr_variables(config) + type_variables(config)
    if not guarded:
        problems.append("no CIDR variable (for the security group) or instance type variable")
    for name in dict.fromkeys(guarded):
        variable = config.get(f"var.{name}")
        rules = tf.blocks(variable.body, "validation") if variable else []
        if variable is None:
            problems.append(f"var.{name} is used but not declared")
        elif not rules:
            problems.append(f"var.{name} has no validation block")
        elif not all("condition" in r and "error_message" in r for r in rules):
            problems.append(f"var.{name}: a validation block lacks condition or error_message")
    expect_none(
        problems,
        expected="every variable typed and described; validation on the CIDR and instance type",
    )


def bucket_name(text: str) -> bool:
    return "aws_s3_bucket." in text and text.endswith((".bucket}", ".id}"))


def public_dns(text: str) -> bool:
    return ".public_dns" in text and "aws_instance." in text


def api_url(text: str) -> bool:
    port = f":{API_PORT}" in text or ":${var." in text
    return text.startswith('"http://') and "aws_instance." in text and port


WANTED = {
    "the bucket's name": bucket_name,
    "the instance's public DNS name": public_dns,
    f"the API URL (http://...:{API_PORT})": api_url,
}


def output_texts(config: tf.Config) -> dict[str, str]:
    return {o.name: tf.resolve_locals(config, o.body.get("value", "")) for o in config.of("output")}


@pytest.mark.points(2)
@pytest.mark.hint(
    'output "bucket_name" (aws_s3_bucket.<name>.bucket), output "public_dns" '
    '(aws_instance.<name>.public_dns) and output "api_url" = '
    f'"http://${{aws_instance.<name>.public_dns}}:{API_PORT}".'
)
def test_outputs(config: tf.Config) -> None:
    """Outputs give the bucket name, the public DNS name and the API URL"""
    texts = output_texts(usable(config))
    missing = [what for what, test in WANTED.items() if not any(test(t) for t in texts.values())]
    expect_none(
        [f"no output gives {what}" for what in missing],
        expected="outputs for the bucket name, the public DNS name and the API URL",
    )
