"""Week 13: the instance setup.sh launched, its firewall and its user data (asked of the
emulated AWS, which keeps the user data but never runs it)."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import Deployment, ModelObject

from mlops_checks import security_groups
from mlops_roadmap.checking import expect, expect_none, fail
from mlops_roadmap.fixtures import Run

INSTANCE_TYPE = "t3.micro"
TAGS = {"Name": "ames-api", "project": "mlops-roadmap"}
API_PORT = 8000
ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
SECRET_NAMES = re.compile(r"aws_secret_access_key|AWS_SECRET_ACCESS_KEY|aws_session_token", re.I)


def instances(deployment: Deployment) -> list[dict[str, Any]]:
    """The instances setup.sh launched that are not terminated."""
    expect(
        deployment.made.instances,
        expected="an instance launched by deploy/setup.sh",
        found=deployment.missing("instance"),
    )
    ec2 = deployment.client("ec2")
    answer = ec2.describe_instances(InstanceIds=sorted(deployment.made.instances))
    return [i for r in answer["Reservations"] for i in r["Instances"]]


def profile_problems(iam: Any, instance: dict[str, Any]) -> list[str]:
    arn = instance.get("IamInstanceProfile", {}).get("Arn", "")
    if not arn:
        return ["no instance profile, so no role (and no way to read the bucket without keys)"]
    name = arn.rsplit("/", 1)[-1]
    roles = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Roles"]
    return [] if roles else [f"instance profile {name} holds no role"]


@pytest.mark.points(3)
@pytest.mark.hint(
    f"run-instances with --instance-type {INSTANCE_TYPE}, --iam-instance-profile "
    "Name=<your profile>, --metadata-options HttpTokens=required and the tags "
    "Name=ames-api and project=mlops-roadmap."
)
def test_instance(deployment: Deployment) -> None:
    """The instance has the lesson's type and tags, the instance profile, and IMDSv2 only"""
    iam = deployment.client("iam")
    problems = []
    for instance in instances(deployment):
        who = instance["InstanceId"]
        if instance.get("InstanceType") != INSTANCE_TYPE:
            problems.append(f"{who}: type {instance.get('InstanceType')}")
        tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
        problems += [
            f"{who}: tag {k}={tags[k]!r}" if k in tags else f"{who}: no tag {k}"
            for k, v in TAGS.items()
            if tags.get(k) != v
        ]
        problems += [f"{who}: {p}" for p in profile_problems(iam, instance)]
        tokens = instance.get("MetadataOptions", {}).get("HttpTokens", "optional")
        if tokens != "required":
            problems.append(f"{who}: HttpTokens {tokens} (IMDSv1 still answers)")
    wanted = ", ".join(f"{k}={v}" for k, v in TAGS.items())
    expect_none(
        problems,
        expected=f"{INSTANCE_TYPE}, tags {wanted}, an instance profile, HttpTokens required",
    )


@pytest.mark.points(3)
@pytest.mark.hint(
    f"Allow tcp {API_PORT} from $MY_IP/32 (the API port is the only one that may face "
    "0.0.0.0/0); no SSH rule (use EC2 Instance Connect or Session Manager) or one from a "
    "single /32; no other ports, ranges or all-traffic rules."
)
def test_security_group(deployment: Deployment) -> None:
    """Its security group opens only the API port to the world, SSH at most from one /32"""
    ec2 = deployment.client("ec2")
    problems = []
    for instance in instances(deployment):
        ids = [g["GroupId"] for g in instance.get("SecurityGroups", [])]
        groups = ec2.describe_security_groups(GroupIds=ids)["SecurityGroups"] if ids else []
        rules = [p for g in groups for p in g.get("IpPermissions", [])]
        names = ", ".join(f"{g['GroupId']} ({g['GroupName']})" for g in groups)
        problems += [
            f"{instance['InstanceId']} in {names}: {p}"
            for p in security_groups.ingress_problems(rules, API_PORT)
        ]
    expect_none(
        problems,
        expected=f"ingress tcp {API_PORT} (and SSH from one /32 at most), nothing else",
    )


def user_data(ec2: Any, instance: str) -> str:
    answer = ec2.describe_instance_attribute(InstanceId=instance, Attribute="userData")
    encoded = answer.get("UserData", {}).get("Value", "")
    return base64.b64decode(encoded).decode("utf-8", errors="replace") if encoded else ""


@pytest.mark.points(2)
@pytest.mark.hint(
    "deploy/user-data.sh must parse (`bash -n deploy/user-data.sh`), name your bucket and the "
    "model's key, and use the instance role (the AWS CLI on the instance finds it): never an "
    "access key."
)
def test_user_data(deployment: Deployment, model: ModelObject, run: Run, tmp_path: Path) -> None:
    """Its user data passes `bash -n` and fetches your model with the instance role"""
    ec2 = deployment.client("ec2")
    problems = []
    for instance in instances(deployment):
        who = instance["InstanceId"]
        text = user_data(ec2, who)
        if not text:
            fail(expected="user data that sets the instance up", found=f"{who}: no user data")
        script = tmp_path / f"{who}.sh"
        script.write_text(text, encoding="utf-8")
        parsed = run(["bash", "-n", script], timeout=30)
        if parsed.returncode != 0:
            problems.append(f"{who}: bash -n: {parsed.tail(3).replace(str(script), 'user data')}")
        if ACCESS_KEY.search(text) or SECRET_NAMES.search(text):
            problems.append(f"{who}: AWS credentials in the user data (the role provides them)")
        if model.bucket not in text:
            problems.append(f"{who}: the user data never names the bucket {model.bucket}")
        prefix = model.key.rsplit("/", 2)[0] + "/"
        if prefix not in text:
            problems.append(f"{who}: the user data never names the model's key ({model.key})")
    expect_none(
        problems,
        expected="user data that parses and fetches the model from your bucket with the "
        "instance role (checked as text: the emulated AWS never runs it)",
    )
