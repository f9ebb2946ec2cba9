"""Week 13 on your own AWS account, after your teardown: opt in, read-only.

This check never runs by default. With MLOPS_ROADMAP_AWS_ACCOUNT=1 it reads the account your
profile or environment names (AWS_PROFILE, AWS_REGION), in its region, with list and describe
calls only: instances tagged project=mlops-roadmap that are not terminated, the lesson's
security group and role, and buckets named ames-mlops-*. It never creates, changes or deletes
anything; everything else about the week is checked against the emulated AWS.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import pytest

from mlops_roadmap import tools
from mlops_roadmap.checking import blocked, expect_none

OPT_IN = "MLOPS_ROADMAP_AWS_ACCOUNT"
ROLE = "ames-api-ec2"
LIVE = ["pending", "running", "stopping", "stopped"]  # stopped instances still pay for disks
OPT_IN_HINT = (
    f"To let this check read your account (list and describe calls only), run `{OPT_IN}=1 "
    "mlops-roadmap check` after `bash deploy/teardown.sh`, with AWS_PROFILE and AWS_REGION set."
)


def account_clients() -> tuple[Any, Any, Any, str]:
    """EC2, IAM and S3 clients of the learner's own account, or the check is blocked."""
    if os.environ.get(OPT_IN) != "1":
        blocked(f"reading your AWS account is opt-in ({OPT_IN} is not 1)", hint=OPT_IN_HINT)
    probe = tools.probe("cloud")
    if not probe.ok:
        blocked(f"no AWS credentials: {probe.detail}", hint=probe.fix)
    import botocore.session  # type: ignore[import-untyped,unused-ignore]
    from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped,unused-ignore]

    session = botocore.session.Session()
    region = os.environ.get("AWS_REGION") or session.get_config_variable("region")
    if not region:
        blocked("no AWS region configured", hint="Set AWS_REGION to the region you deployed in.")
    config = Config(connect_timeout=10, read_timeout=20, retries={"max_attempts": 2})
    try:
        session.create_client("sts", region_name=region, config=config).get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        blocked(f"your AWS account does not answer: {exc}", hint="`aws sts get-caller-identity`")
    ec2, iam, s3 = (
        session.create_client(service, region_name=region, config=config)
        for service in ("ec2", "iam", "s3")
    )
    return ec2, iam, s3, str(region)


def leftovers(ec2: Any, iam: Any, s3: Any, region: str) -> list[str]:
    tagged = [
        {"Name": "tag:project", "Values": ["mlops-roadmap"]},
        {"Name": "instance-state-name", "Values": LIVE},
    ]
    found = [
        f"instance {i['InstanceId']} ({i['State']['Name']}, {region})"
        for r in ec2.describe_instances(Filters=tagged)["Reservations"]
        for i in r["Instances"]
    ]
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["ames-api"]}])
    found += [f"security group {g['GroupId']} (ames-api)" for g in groups["SecurityGroups"]]
    with contextlib.suppress(iam.exceptions.NoSuchEntityException):
        found.append(f"IAM role {iam.get_role(RoleName=ROLE)['Role']['RoleName']}")
    buckets = s3.list_buckets().get("Buckets", [])
    found += [f"bucket {b['Name']}" for b in buckets if b["Name"].startswith("ames-mlops-")]
    return found


@pytest.mark.external("your AWS account (opt in with MLOPS_ROADMAP_AWS_ACCOUNT=1)")
@pytest.mark.points(0)
@pytest.mark.timeout(120)
@pytest.mark.hint("Run `bash deploy/teardown.sh` again; terminate or delete by hand what stays.")
def test_account_is_clean() -> None:
    """On your AWS account, nothing of this week is left after teardown (opt-in, read-only)"""
    expect_none(
        leftovers(*account_clients()),
        expected="no instance tagged project=mlops-roadmap, no ames-api security group, no "
        "ames-api-ec2 role and no ames-mlops-* bucket",
    )
