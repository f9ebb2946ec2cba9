"""Set up, and tear down, this week's AWS resources with boto3.

Usage: python scripts/aws_deploy.py up|down   (deploy/setup.sh and deploy/teardown.sh call it)

`up` makes the private bucket, uploads the model and the app (scripts/upload_model.py), then the
instance role, the security group and the instance; `down` deletes all of it again. Credentials
and region come from your AWS CLI profile or the environment (AWS_PROFILE, AWS_REGION), never
from code. MY_IP, when set, is the address the API port opens to (else checkip.amazonaws.com).
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

import upload_model

HERE = Path(__file__).resolve().parent.parent  # the week folder
REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"
MODEL_VERSION = "1"
ROLE = "ames-api-ec2"  # the role and its instance profile share the name
POLICY = "read-models"
GROUP = "ames-api"
API_PORT = 8000
INSTANCE_TYPE = "t3.micro"
AMI = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
TAGS = {"Name": "ames-api", "project": "mlops-roadmap"}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
GONE = {"NoSuchEntity", "NoSuchBucket", "InvalidGroup.NotFound", "InvalidInstanceID.NotFound"}


def bucket_name(session: boto3.Session) -> str:
    """Bucket names are global: the account id and the region make ours unique."""
    account = session.client("sts").get_caller_identity()["Account"]
    return f"ames-mlops-{account}-{REGION}"


def filled(name: str, bucket: str) -> str:
    """A file of deploy/ with the bucket and the model version put in."""
    text = (HERE / "deploy" / name).read_text(encoding="utf-8")
    return text.replace("__BUCKET__", bucket).replace("__MODEL_VERSION__", MODEL_VERSION)


def create_bucket(s3, bucket: str) -> None:
    where = {} if REGION == "us-east-1" else {"LocationConstraint": REGION}
    s3.create_bucket(Bucket=bucket, **({"CreateBucketConfiguration": where} if where else {}))
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )


def create_role(iam, bucket: str) -> None:
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(
        RoleName=ROLE, PolicyName=POLICY, PolicyDocument=filled("instance-policy.json", bucket)
    )
    iam.create_instance_profile(InstanceProfileName=ROLE)
    iam.add_role_to_instance_profile(InstanceProfileName=ROLE, RoleName=ROLE)


def my_ip() -> str:
    if os.environ.get("MY_IP"):
        return os.environ["MY_IP"]
    with urllib.request.urlopen("https://checkip.amazonaws.com", timeout=10) as answer:
        return answer.read().decode().strip()


def create_security_group(ec2) -> str:
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    group = ec2.create_security_group(
        GroupName=GROUP, Description="Ames API from one address", VpcId=vpcs[0]["VpcId"]
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": API_PORT,
                "ToPort": API_PORT,
                "IpRanges": [{"CidrIp": f"{my_ip()}/32", "Description": "the API, for me"}],
            }
        ],
    )
    return group


def launch(ec2, group: str, bucket: str) -> str:
    """Run the instance; a new instance profile takes a few seconds to reach EC2, so retry."""
    for attempt in range(12):
        try:
            reservation = ec2.run_instances(
                ImageId=AMI,
                InstanceType=INSTANCE_TYPE,
                MinCount=1,
                MaxCount=1,
                IamInstanceProfile={"Name": ROLE},
                SecurityGroupIds=[group],
                MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
                UserData=filled("user-data.sh", bucket),
                TagSpecifications=[
                    {
                        "ResourceType": "instance",
                        "Tags": [{"Key": k, "Value": v} for k, v in TAGS.items()],
                    }
                ],
            )
            return str(reservation["Instances"][0]["InstanceId"])
        except ClientError as exc:
            if "instance profile" not in str(exc).lower() or attempt == 11:
                raise
            time.sleep(5)
    raise AssertionError("unreachable")


def up() -> None:
    if not upload_model.MODEL.is_file():
        raise SystemExit(f"no {upload_model.MODEL}: run `python train.py` first")
    session = boto3.Session(region_name=REGION)
    bucket = bucket_name(session)
    create_bucket(session.client("s3"), bucket)
    upload_model.main(bucket, MODEL_VERSION)
    create_role(session.client("iam"), bucket)
    ec2 = session.client("ec2")
    instance = launch(ec2, create_security_group(ec2), bucket)
    print(f"launched {instance}; bucket {bucket}; tear down with deploy/teardown.sh")


def quietly(call, *args, **kwargs) -> None:
    """Delete something that may already be gone (teardown runs again after a failure)."""
    try:
        call(*args, **kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in GONE:
            raise


def down() -> None:
    session = boto3.Session(region_name=REGION)
    ec2 = session.client("ec2")
    mine = [{"Name": "tag:Name", "Values": [TAGS["Name"]]}]
    instances = [
        i["InstanceId"]
        for r in ec2.describe_instances(Filters=mine)["Reservations"]
        for i in r["Instances"]
        if i["State"]["Name"] != "terminated"
    ]
    if instances:
        ec2.terminate_instances(InstanceIds=instances)
        ec2.get_waiter("instance_terminated").wait(InstanceIds=instances)
    for group in ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [GROUP]}]
    )["SecurityGroups"]:
        quietly(ec2.delete_security_group, GroupId=group["GroupId"])
    iam = session.client("iam")
    quietly(iam.remove_role_from_instance_profile, InstanceProfileName=ROLE, RoleName=ROLE)
    quietly(iam.delete_instance_profile, InstanceProfileName=ROLE)
    quietly(iam.delete_role_policy, RoleName=ROLE, PolicyName=POLICY)
    quietly(iam.delete_role, RoleName=ROLE)
    bucket = session.resource("s3").Bucket(bucket_name(session))
    try:
        bucket.object_versions.delete()  # every version and delete marker, not just the latest
        bucket.delete()
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in GONE:
            raise
    print("deleted the instance, the security group, the role and the bucket")


if __name__ == "__main__":
    if sys.argv[1:] not in (["up"], ["down"]):
        raise SystemExit(__doc__)
    up() if sys.argv[1] == "up" else down()
