"""Week 14 fixtures: the learner's Terraform root module read once as data (python-hcl2), and
Terraform found (PATH, or the course's .tools/ from scripts/terraform.sh).

What each part of the configuration is for is found from what refers to it, never from its
name: the CIDR variables are those the security group's ingress rules take their sources from,
the instance type variable the one `aws_instance.instance_type` names.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_checks import terraform_cli
from mlops_checks import terraform_config as tf
from mlops_roadmap.checking import fail

API_PORT = 8000
SSH = 22
INGRESS = ("aws_vpc_security_group_ingress_rule", "aws_security_group_rule")
GOOD_CIDR = "203.0.113.7/32"  # TEST-NET-3: one address, as the learner's own
GOOD_TYPE = "t3.micro"


@pytest.fixture(scope="session")
def config(week_dir: Path) -> tf.Config:
    """The week folder's root module (its *.tf files)."""
    return tf.load(week_dir)


def usable(config: tf.Config) -> tf.Config:
    """The configuration, or the check fails because there is none or it does not parse."""
    if not config.files:
        fail(
            expected="a Terraform configuration (*.tf files) in the week folder",
            found="no *.tf file in the week folder",
            hint="Start from the scaffold's main.tf, variables.tf and outputs.tf.",
        )
    if config.errors:
        fail(
            expected="every *.tf file to parse",
            found="; ".join(config.errors),
            hint="Run `terraform fmt` and `terraform validate` and fix the first error.",
        )
    return config


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> terraform_cli.Terraform:
    """Terraform without network, or the check is blocked with how to get it."""
    return terraform_cli.find(tmp_path_factory.mktemp("terraform-home"))


def variable_of(value: object) -> str | None:
    """``x`` when a value is exactly ``var.x``, else None."""
    text = tf.expression(value)
    return text[4:] if text.startswith("var.") and text[4:].replace("_", "a").isalnum() else None


def ingress_sources(config: tf.Config) -> list[tuple[str, object]]:
    """Every ingress rule's sources, with where the rule is: inline blocks and rule resources."""
    found: list[tuple[str, object]] = []
    for group in config.resources("aws_security_group"):
        for block in tf.blocks(group.body, "ingress"):
            found += [(group.address, s) for s in sources(block)]
    for type_ in INGRESS:
        for rule in config.resources(type_):
            found += [(rule.address, s) for s in sources(rule.body)]
    return found


def sources(body: dict[str, object]) -> list[object]:
    listed: list[object] = []
    for key in ("cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6"):
        value = body.get(key)
        listed += value if isinstance(value, list) else [] if value is None else [value]
    return listed


def cidr_variables(config: tf.Config) -> list[str]:
    """The variables the ingress rules take their sources from; before there are rules, the
    variables whose name says CIDR."""
    named = [variable_of(s) for _, s in ingress_sources(config)]
    found = list(dict.fromkeys(n for n in named if n))
    return found or [v.name for v in config.of("variable") if "cidr" in v.name.lower()]


def type_variables(config: tf.Config) -> list[str]:
    """The variables instances take their type from; before there is one, `instance_type`."""
    named = [variable_of(i.body.get("instance_type")) for i in config.resources("aws_instance")]
    found = list(dict.fromkeys(n for n in named if n))
    return found or [v.name for v in config.of("variable") if v.name == "instance_type"]


def given(config: tf.Config) -> dict[str, str]:
    """Values for the CIDR and instance type variables: good ones, as a learner gives them."""
    good = dict.fromkeys(cidr_variables(config), GOOD_CIDR)
    good.update(dict.fromkeys(type_variables(config), GOOD_TYPE))
    return {v.name: good[v.name] for v in config.of("variable") if v.name in good}
