"""Week 14: the model bucket and the instance's role, read from the configuration as data.

The bucket's settings are the provider's separate resources, each pointing at the bucket. The
role's policies are read from jsonencode, a data "aws_iam_policy_document" or JSON text, with
the bucket's references filled in with a stand-in bucket, and judged offline by the same
reader week 13 uses (`mlops_checks.iam_policy`).
"""

from __future__ import annotations

import pytest
from conftest import usable

from mlops_checks import iam_policy
from mlops_checks import terraform_config as tf
from mlops_checks import terraform_policy as policies
from mlops_roadmap.checking import expect, expect_none

ENCRYPTIONS = {"AES256", "aws:kms", "aws:kms:dsse"}
BLOCKS = (
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
)
INLINE = ("versioning", "server_side_encryption_configuration", "acl", "policy")
EC2 = "ec2.amazonaws.com"
MODEL = f"arn:aws:s3:::{policies.BUCKET}/models/ames-price/1/linear.joblib"


def one_setting(config: tf.Config, type_: str, bucket: tf.Block) -> tuple[tf.Block | None, str]:
    found = config.pointing_at(type_, bucket, "bucket")
    return (found[0], "") if found else (None, f"{bucket.address}: no {type_} for it")


def versioning(config: tf.Config, bucket: tf.Block) -> list[str]:
    found, missing = one_setting(config, "aws_s3_bucket_versioning", bucket)
    if found is None:
        return [missing]
    blocks = tf.blocks(found.body, "versioning_configuration")
    status = tf.literal(blocks[0].get("status")) if blocks else None
    return [] if status == "Enabled" else [f"{found.address}: status {status or 'not set'}"]


def encryption(config: tf.Config, bucket: tf.Block) -> list[str]:
    found, missing = one_setting(
        config, "aws_s3_bucket_server_side_encryption_configuration", bucket
    )
    if found is None:
        return [missing]
    algorithms = {
        tf.literal(default.get("sse_algorithm"))
        for rule in tf.blocks(found.body, "rule")
        for default in tf.blocks(rule, "apply_server_side_encryption_by_default")
    }
    return [] if algorithms & ENCRYPTIONS else [f"{found.address}: sse_algorithm {algorithms}"]


def public_access(config: tf.Config, bucket: tf.Block) -> list[str]:
    found, missing = one_setting(config, "aws_s3_bucket_public_access_block", bucket)
    if found is None:
        return [missing]
    off = [k for k in BLOCKS if found.body.get(k) is not True]
    return [f"{found.address}: {', '.join(off)} not true"] if off else []


@pytest.mark.points(3)
@pytest.mark.hint(
    'Beside aws_s3_bucket: aws_s3_bucket_versioning (status = "Enabled"), '
    "aws_s3_bucket_server_side_encryption_configuration (AES256 or aws:kms) and "
    "aws_s3_bucket_public_access_block (all four true), each with bucket = "
    "aws_s3_bucket.<name>.id; not the deprecated inline blocks."
)
def test_bucket(config: tf.Config) -> None:
    """The bucket is versioned, encrypted and blocks all public access"""
    buckets = usable(config).resources("aws_s3_bucket")
    expect(buckets, expected='a resource "aws_s3_bucket"', found="no aws_s3_bucket")
    problems = []
    for bucket in buckets:
        problems += [
            f"{bucket.address}: the deprecated inline `{k}`" for k in INLINE if k in bucket.body
        ]
        problems += versioning(config, bucket) + encryption(config, bucket)
        problems += public_access(config, bucket)
    expect_none(
        problems,
        expected="for each bucket: versioning Enabled, default encryption, all four public "
        "access blocks true",
    )


def role_problems(config: tf.Config, role: tf.Block) -> list[str]:
    trust = policies.read(config, role.body.get("assume_role_policy"), role.address)
    if trust.document is None:
        return [f"{role.address}: assume_role_policy {trust.problem or 'is missing'}"]
    ec2, others = iam_policy.trusts(trust.document, EC2)
    problems = [] if ec2 else [f"{role.address}: its trust policy does not let {EC2} assume it"]
    if others:
        problems.append(f"{role.address}: its trust policy also lets {', '.join(others)} assume it")
    if not config.pointing_at("aws_iam_instance_profile", role, "role"):
        problems.append(f"{role.address}: in no aws_iam_instance_profile, so no instance uses it")
    return problems


@pytest.mark.points(2)
@pytest.mark.hint(
    'assume_role_policy from a data "aws_iam_policy_document" (actions ["sts:AssumeRole"], '
    'principals { type = "Service", identifiers = ["ec2.amazonaws.com"] }) or jsonencode, and '
    "an aws_iam_instance_profile with role = aws_iam_role.<name>.name."
)
def test_role(config: tf.Config) -> None:
    """An IAM role that only EC2 may assume, in an instance profile"""
    roles = usable(config).resources("aws_iam_role")
    expect(roles, expected='a resource "aws_iam_role"', found="no aws_iam_role")
    expect_none(
        [p for role in roles for p in role_problems(config, role)],
        expected=f"a role whose trust policy names {EC2} alone, held by an instance profile",
    )


def attached(config: tf.Config, role: tf.Block) -> tuple[list[policies.Policy], list[str]]:
    """The role's policies read, and what cannot be read at all."""
    read = [
        policies.read(config, p.body.get("policy"), p.address)
        for p in config.pointing_at("aws_iam_role_policy", role, "role")
    ]
    read += [
        policies.read(config, b.get("policy"), f"{role.address} inline_policy")
        for b in tf.blocks(role.body, "inline_policy")
    ]
    unread = []
    for a in config.pointing_at("aws_iam_role_policy_attachment", role, "role"):
        arn = a.body.get("policy_arn")
        owned = [r for r in tf.references(arn) if r.startswith("aws_iam_policy.")]
        target = config.get(owned[0]) if owned else None
        if target is not None:
            read.append(policies.read(config, target.body.get("policy"), target.address))
        else:
            unread.append(
                f"{a.address} attaches {tf.expression(arn)}, a managed policy this "
                "check cannot read (and wider than one bucket): write your own"
            )
    if "managed_policy_arns" in role.body:
        unread.append(f"{role.address}: managed_policy_arns: write your own policy instead")
    return read, unread


def policy_problems(policy: policies.Policy) -> list[str]:
    if policy.document is None:
        return [f"{policy.where}: its policy is {policy.problem}"]
    problems = [
        f"{policy.where}: {p}" for p in iam_policy.problems(policy.document, policies.BUCKET)
    ]
    for statement in iam_policy.parse(policy.document):
        if any(a.lower().startswith("s3:") or a == "*" for a in statement.actions):
            problems += [
                f'{policy.where}: {statement.label}: Resource "{r}" refers to something other '
                "than the bucket's arn, id or name, so this check cannot judge it"
                for r in statement.resources
                if "${" in r
            ]
    return problems


@pytest.mark.points(3)
@pytest.mark.hint(
    'Allow s3:GetObject on "${aws_s3_bucket.<name>.arn}/models/*" and ".../releases/*" only '
    '(s3:ListBucket on the bucket itself if you list): no "*" actions or resources, nothing '
    "that writes."
)
def test_policy_least_privilege(config: tf.Config) -> None:
    """The role's policy reads the model and release prefixes of the bucket and nothing more"""
    roles = usable(config).resources("aws_iam_role")
    expect(roles, expected='a resource "aws_iam_role"', found="no aws_iam_role")
    problems = []
    for role in roles:
        read, unread = attached(config, role)
        problems += unread
        if not read and not unread:
            problems.append(f"{role.address}: no policy (aws_iam_role_policy or an attachment)")
            continue
        for policy in read:
            problems += policy_problems(policy)
        statements = [s for p in read if p.document for s in iam_policy.parse(p.document)]
        readable = read and all(p.document is not None for p in read)
        if readable and not iam_policy.allows(statements, "s3:GetObject", MODEL):
            problems.append(
                f"{role.address}: cannot s3:GetObject models/ames-price/1/linear.joblib"
            )
    expect_none(
        problems,
        expected="s3:GetObject on the bucket's models/ and releases/ prefixes, nothing wider "
        f"(read from {policies.FORMS})",
    )
