"""What an (emulated) AWS account holds, listed with boto3: buckets, IAM roles, instance
profiles and customer policies, instances that are not terminated, security groups but the
default ones. Two listings give what a set-up made and what a teardown left."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

GONE_STATES = {"terminated", "shutting-down"}


@dataclass(frozen=True)
class Inventory:
    buckets: frozenset[str]
    roles: frozenset[str]
    instance_profiles: frozenset[str]
    policies: frozenset[str]
    instances: frozenset[str]
    security_groups: frozenset[str]  # "sg-... (name)"


WHAT = {
    "buckets": "bucket",
    "roles": "IAM role",
    "instance_profiles": "instance profile",
    "policies": "IAM policy",
    "instances": "instance",
    "security_groups": "security group",
}


def take(client: Any) -> Inventory:
    """List the account; ``client(service)`` gives a boto3 client."""
    s3, iam, ec2 = client("s3"), client("iam"), client("ec2")
    instances = [
        i
        for page in ec2.get_paginator("describe_instances").paginate()
        for r in page["Reservations"]
        for i in r["Instances"]
    ]
    groups = ec2.describe_security_groups()["SecurityGroups"]
    return Inventory(
        buckets=frozenset(b["Name"] for b in s3.list_buckets().get("Buckets", [])),
        roles=frozenset(r["RoleName"] for r in iam.list_roles()["Roles"]),
        instance_profiles=frozenset(
            p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]
        ),
        policies=frozenset(p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]),
        instances=frozenset(
            i["InstanceId"] for i in instances if i["State"]["Name"] not in GONE_STATES
        ),
        security_groups=frozenset(
            f"{g['GroupId']} ({g['GroupName']})" for g in groups if g["GroupName"] != "default"
        ),
    )


def made(before: Inventory, after: Inventory) -> Inventory:
    """What ``after`` holds that ``before`` did not."""
    return Inventory(
        **{f.name: getattr(after, f.name) - getattr(before, f.name) for f in fields(before)}
    )


def left(made_by_setup: Inventory, now: Inventory) -> list[str]:
    """Each resource the set-up made that still exists, as "bucket NAME"."""
    return [
        f"{WHAT[f.name]} {name}"
        for f in fields(now)
        for name in sorted(getattr(made_by_setup, f.name) & getattr(now, f.name))
    ]


def count(inventory: Inventory) -> str:
    """ "1 bucket, 2 IAM roles, ..." (the kinds present)."""
    parts = []
    for f in fields(inventory):
        n = len(getattr(inventory, f.name))
        if n:
            parts.append(f"{n} {WHAT[f.name]}" + ("s" if n > 1 else ""))
    return ", ".join(parts) or "nothing"
