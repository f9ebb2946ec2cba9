"""Week 13: deploy/setup.sh runs, and what it made in S3 (asked of the emulated AWS)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import SETUP, SETUP_TITLE, Deployment, find_model, model_bytes

from mlops_roadmap.checking import expect, expect_none, fail

ENCRYPTIONS = {"AES256", "aws:kms", "aws:kms:dsse"}
BLOCKS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
GROUPS = "http://acs.amazonaws.com/groups/global/"
EVERYONE = (GROUPS + "AllUsers", GROUPS + "AuthenticatedUsers")


@pytest.mark.points(2)
@pytest.mark.title(SETUP_TITLE)
@pytest.mark.hint(
    "Run `bash deploy/setup.sh` yourself and fix the first error; it must work from the week "
    "folder with the credentials and region of the environment (AWS_PROFILE or AWS_*), and "
    "take your address from $MY_IP when it is set."
)
def test_setup_runs(deployment: Deployment, record_property: Any) -> None:
    """deploy/setup.sh runs to the end against an emulated AWS"""
    record_property("setup_seconds", round(deployment.seconds, 1))
    expect(
        not deployment.problem,
        expected=f"`bash {SETUP}` to exit 0 (against moto, an emulated AWS on 127.0.0.1)",
        found=f"{SETUP} {deployment.problem}",
    )


def public_access(s3: Any, bucket: str) -> list[str]:
    from botocore.exceptions import ClientError  # type: ignore[import-untyped,unused-ignore]

    try:
        config = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError:
        return [f"{bucket}: no public access block"]
    off = [name for name in BLOCKS if not config.get(name)]
    return [f"{bucket}: public access block with {', '.join(off)} false"] if off else []


def grants_and_policy(s3: Any, bucket: str) -> list[str]:
    from botocore.exceptions import ClientError  # type: ignore[import-untyped,unused-ignore]

    problems = [
        f"{bucket}: its ACL grants {g['Permission']} to {g['Grantee']['URI'].rsplit('/', 1)[1]}"
        for g in s3.get_bucket_acl(Bucket=bucket)["Grants"]
        if g["Grantee"].get("URI") in EVERYONE
    ]
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError:
        return problems
    statements = policy.get("Statement", [])
    for s in statements if isinstance(statements, list) else [statements]:
        if s.get("Effect") == "Allow" and s.get("Principal") in ("*", {"AWS": "*"}):
            problems.append(f'{bucket}: its bucket policy allows Principal "*"')
    return problems


def encryption(s3: Any, bucket: str) -> list[str]:
    from botocore.exceptions import ClientError  # type: ignore[import-untyped,unused-ignore]

    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    except ClientError:
        return [f"{bucket}: no default encryption"]
    algorithms = {
        r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules["Rules"]
    }
    return [] if algorithms & ENCRYPTIONS else [f"{bucket}: default encryption {algorithms}"]


@pytest.mark.points(3)
@pytest.mark.hint(
    "After create-bucket: put-public-access-block with all four settings true, "
    "put-bucket-versioning Status=Enabled, put-bucket-encryption with SSE-S3 (AES256) or "
    'SSE-KMS; no public ACL, no bucket policy for Principal "*".'
)
def test_bucket_is_private_versioned_encrypted(deployment: Deployment) -> None:
    """The bucket is versioned, blocks all public access and encrypts by default"""
    expect(
        deployment.made.buckets,
        expected="a bucket made by deploy/setup.sh",
        found=deployment.missing("bucket"),
    )
    s3 = deployment.client("s3")
    problems = []
    for bucket in sorted(deployment.made.buckets):
        status = s3.get_bucket_versioning(Bucket=bucket).get("Status")
        if status != "Enabled":
            problems.append(f"{bucket}: versioning {status.lower() if status else 'off'}")
        problems += public_access(s3, bucket) + grants_and_policy(s3, bucket)
        problems += encryption(s3, bucket)
    expect_none(
        problems,
        expected="versioning Enabled, all four public access blocks true, default encryption",
    )


@pytest.mark.points(2)
@pytest.mark.hint(
    'Upload with ServerSideEncryption (boto3\'s ExtraArgs={"ServerSideEncryption": '
    '"AES256"}, or `aws s3 cp --sse AES256`) to models/ames-price/<version>/ in the '
    "versioned bucket, after versioning is on."
)
def test_model_uploaded(deployment: Deployment) -> None:
    """The model is under models/ames-price/<version>/, encrypted, with a version id"""
    model_bytes(deployment)  # fails first when there is no model to compare with
    found, seen = find_model(deployment)
    if found is None:
        where = "object under models/ames-price/" if deployment.made.buckets else "bucket"
        fail(
            expected="models/linear.joblib's bytes at models/ames-price/<version>/<file>",
            found=f"not among {', '.join(seen[:5])}" if seen else deployment.missing(where),
        )
    where = f"s3://{found.bucket}/{found.key}"
    problems = []
    if not found.head.get("ServerSideEncryption"):
        problems.append(f"{where} is stored without server-side encryption")
    if found.head.get("VersionId") in (None, "", "null"):
        problems.append(f"{where} has no version id (versioning was off when it was uploaded)")
    expect_none(
        problems, expected="the model stored with server-side encryption and an S3 version id"
    )
