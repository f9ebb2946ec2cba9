"""Week 13: the instance role setup.sh made, and its policy (asked of the emulated AWS)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Deployment, ModelObject

from mlops_checks import iam_policy
from mlops_roadmap.checking import expect, expect_none

EC2 = "ec2.amazonaws.com"


def trusts(document: Any) -> tuple[bool, list[str]]:
    """Whether a trust policy lets EC2 assume the role, and whom else it lets."""
    return iam_policy.trusts(document, EC2)


def ec2_roles(deployment: Deployment) -> list[str]:
    iam = deployment.client("iam")
    return [
        name
        for name in sorted(deployment.made.roles)
        if trusts(iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"])[0]
    ]


def documents(iam: Any, role: str) -> dict[str, Any]:
    """The role's policies by name: inline ones, then attached managed ones."""
    found = {
        name: iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    }
    for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        arn = attached["PolicyArn"]
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)
        found[attached["PolicyName"]] = document["PolicyVersion"]["Document"]
    return found


@pytest.mark.points(2)
@pytest.mark.hint(
    "create-role with a trust policy for the service ec2.amazonaws.com (sts:AssumeRole), "
    "put-role-policy with deploy/instance-policy.json, create-instance-profile and "
    "add-role-to-instance-profile."
)
def test_role_and_instance_profile(deployment: Deployment) -> None:
    """An IAM role that only EC2 may assume, with a policy, in an instance profile"""
    iam = deployment.client("iam")
    expect(
        deployment.made.roles,
        expected="an IAM role made by deploy/setup.sh",
        found=deployment.missing("IAM role"),
    )
    problems = []
    for role in sorted(deployment.made.roles):
        ec2, others = trusts(iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"])
        if not ec2:
            problems.append(f"{role}: its trust policy does not let {EC2} assume it")
        if others:
            problems.append(f"{role}: its trust policy also lets {', '.join(others)} assume it")
        if not documents(iam, role):
            problems.append(f"{role}: no policy (inline or attached)")
        if not iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]:
            problems.append(f"{role}: in no instance profile, so no instance can use it")
    expect_none(problems, expected="a role trusted by EC2 alone, with a policy, in a profile")


@pytest.mark.points(3)
@pytest.mark.hint(
    "Allow s3:GetObject (s3:ListBucket on the bucket itself if you list) on "
    'arn:aws:s3:::BUCKET/models/* and arn:aws:s3:::BUCKET/releases/* only: no "*" actions '
    "or resources, nothing that writes, IAM action names spelled as AWS documents them."
)
def test_policy_is_least_privilege(deployment: Deployment, model: ModelObject) -> None:
    """The role's policy reads the model and the release prefixes and nothing more"""
    iam = deployment.client("iam")
    roles = ec2_roles(deployment)
    expect(roles, expected="a role EC2 may assume", found=deployment.missing("such role"))
    problems = []
    target = f"arn:aws:s3:::{model.bucket}/{model.key}"
    for role in roles:
        policies = documents(iam, role)
        for name, document in policies.items():
            problems += [f"{role}/{name}: {p}" for p in iam_policy.problems(document, model.bucket)]
        statements = [s for d in policies.values() for s in iam_policy.parse(d)]
        if not iam_policy.allows(statements, "s3:GetObject", target):
            problems.append(f"{role}: cannot s3:GetObject the model ({target})")
    expect_none(
        problems,
        expected="s3:GetObject on the bucket's models/ and releases/ prefixes, nothing wider",
    )
