"""Week 13's checks judged both ways through the real CLI, on workspaces made as `course verify`
makes them, against the moto server the checks start on loopback: the finished project passes
(with a real account's AWS settings in the environment, which never reach the scripts) and is
left untouched; the trained scaffold fails where it should; right submissions written
differently (the AWS CLI alone, another key layout, a managed policy) pass; broken ones fail
each check for their own reason; a script that reaches for the internet is refused; and nothing
the checks start survives them.

First, offline and fast, the shared judges the checks use: the IAM policy reader, the security
group rules, the inventory difference and the scripts' environment.

Every CLI case runs deploy/setup.sh and deploy/teardown.sh against a fresh moto server (about
15 s with boto3, over a minute with the AWS CLI on a loaded machine): slow.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import aws_emulator, aws_inventory, iam_policy, security_groups
from mlops_roadmap.servers import free_port
from tests.conftest import FIXTURES, REPO, Cli
from tests.test_week09_api import edit, make_week, outcomes, tagged_processes, tree_hashes
from tests.timing import scaled, wait_until

WEEK = 13
CASES = FIXTURES / "week13"
TITLES = {
    "setup": "deploy/setup.sh runs to the end against an emulated AWS",
    "bucket": "The bucket is versioned, blocks all public access and encrypts by default",
    "model": "The model is under models/ames-price/<version>/, encrypted, with a version id",
    "role": "An IAM role that only EC2 may assume, with a policy, in an instance profile",
    "policy": "The role's policy reads the model and the release prefixes and nothing more",
    "instance": "The instance has the lesson's type and tags, the instance profile, and IMDSv2 "
    "only",
    "firewall": "Its security group opens only the API port to the world, SSH at most from one /32",
    "user data": "Its user data passes `bash -n` and fetches your model with the instance role",
    "teardown": "deploy/teardown.sh deletes everything deploy/setup.sh made",
    "account": "On your AWS account, nothing of this week is left after teardown (opt-in, "
    "read-only)",
}
ALL_PASS = {**dict.fromkeys(TITLES, "passed"), "account": "blocked"}  # no opt-in, no account
BUCKET = "ames-mlops-123456789012-eu-west-1"  # moto's account, the lesson's region
LESSON_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadModelsAndReleasesOnly",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [f"arn:aws:s3:::{BUCKET}/models/*", f"arn:aws:s3:::{BUCKET}/releases/*"],
        }
    ],
}


# -- the shared judges, offline ---------------------------------------------------------------


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_the_lessons_policy_is_least_privilege_and_reads_the_model() -> None:
    assert iam_policy.problems(LESSON_POLICY, BUCKET) == []
    statements = iam_policy.parse(json.dumps(LESSON_POLICY))
    model = f"arn:aws:s3:::{BUCKET}/models/ames-price/1/linear.joblib"
    assert iam_policy.allows(statements, "s3:GetObject", model)
    assert iam_policy.allows(statements, "S3:getobject", model)  # IAM ignores the action's case
    assert not iam_policy.allows(statements, "s3:GetObject", f"arn:aws:s3:::{BUCKET}/data/x")
    assert not iam_policy.allows(statements, "s3:PutObject", model)


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            'statement 1: Resource "*" on s3:GetObject (every bucket in every account)',
        ),
        (
            {"Effect": "Allow", "Action": "s3:*", "Resource": f"arn:aws:s3:::{BUCKET}/models/*"},
            'statement 1: Action "s3:*" is a wildcard (name each action)',
        ),
        (
            {"Effect": "Allow", "Action": "*", "Resource": f"arn:aws:s3:::{BUCKET}/models/*"},
            'statement 1: Action "*" is a wildcard (name each action)',
        ),
        (
            {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObjects", "Resource": "*"},
            'statement 1 (Read): "s3:GetObjects" is not an IAM action (did you mean s3:GetObject?)',
        ),
        (
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/m/*"},
            'statement 1: "s3:PutObject" changes S3 (the instance only reads)',
        ),
        (
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"},
            f'statement 1: Resource "arn:aws:s3:::{BUCKET}/*" reaches the whole bucket, beyond '
            "models/ and releases/",
        ),
        (
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::ames-*"},
            'statement 1: Resource "arn:aws:s3:::ames-*" reaches other buckets too',
        ),
        (
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": f"arn:aws:s3:::{BUCKET}/m/*"},
            "statement 1: NotAction allows all but what it names",
        ),
        (
            {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"},
            'statement 1: "dynamodb:GetItem" is not an action this check knows (it knows '
            "cloudwatch, ec2, ec2messages, ecr, kms, logs, s3, ssm, ssmmessages)",
        ),
    ],
)
def test_a_policy_wider_than_a_reader_is_named(statement: dict[str, Any], problem: str) -> None:
    assert problem in iam_policy.problems(policy(statement), BUCKET)


def test_deny_statements_and_other_services_resources_are_not_faults() -> None:
    deny = {"Effect": "Deny", "Action": "*", "Resource": "*"}
    kms = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}
    assert iam_policy.problems(policy(*LESSON_POLICY["Statement"], deny, kms), BUCKET) == []


def rule(port: int | None, *cidrs: str, protocol: str = "tcp") -> dict[str, Any]:
    ports = {} if port is None else {"FromPort": port, "ToPort": port}
    ranges = [{"CidrIp": c} for c in cidrs if ":" not in c]
    v6 = [{"CidrIpv6": c} for c in cidrs if ":" in c]
    return {"IpProtocol": protocol, **ports, "IpRanges": ranges, "Ipv6Ranges": v6}


@pytest.mark.parametrize(
    ("rules", "problems"),
    [
        ([rule(8000, "203.0.113.7/32")], []),
        ([rule(8000, "0.0.0.0/0", "::/0"), rule(22, "203.0.113.7/32")], []),
        (
            [rule(8000, "203.0.113.7/32"), rule(22, "0.0.0.0/0")],
            ["tcp 22 from 0.0.0.0/0: SSH open to 0.0.0.0/0"],
        ),
        (
            [rule(8000, "203.0.113.7/32"), rule(22, "203.0.113.7/32", "198.51.100.1/32")],
            ["SSH from 2 sources (203.0.113.7/32, 198.51.100.1/32): one /32 at most"],
        ),
        (
            [rule(None, "10.0.0.0/8", protocol="-1")],
            [
                "all traffic from 10.0.0.0/8: only port 8000 may be open",
                "port 8000 is not open, so the API cannot be called",
            ],
        ),
        (
            [{**rule(8000, "0.0.0.0/0"), "ToPort": 8080}],
            [
                "tcp 8000-8080 from 0.0.0.0/0: only port 8000 may be open",
                "port 8000 is not open, so the API cannot be called",
            ],
        ),
    ],
)
def test_security_group_rules(rules: list[dict[str, Any]], problems: list[str]) -> None:
    assert security_groups.ingress_problems(rules, 8000) == problems


def inventory(**kinds: set[str]) -> aws_inventory.Inventory:
    empty = dict.fromkeys(aws_inventory.WHAT, frozenset[str]())
    return aws_inventory.Inventory(**{**empty, **{k: frozenset(v) for k, v in kinds.items()}})


def test_inventory_names_what_setup_made_and_teardown_left() -> None:
    before = inventory(security_groups={"sg-1 (other)"})
    after = inventory(buckets={"b"}, roles={"r"}, security_groups={"sg-1 (other)", "sg-2 (api)"})
    made = aws_inventory.made(before, after)
    assert aws_inventory.count(made) == "1 bucket, 1 IAM role, 1 security group"
    now = inventory(buckets={"b"}, security_groups={"sg-1 (other)"})
    assert aws_inventory.left(made, now) == ["bucket b"]


def test_scripts_get_the_emulator_and_nothing_of_the_real_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real")
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    python = tmp_path / "venv" / "bin" / "python"
    env = aws_emulator.script_env("http://127.0.0.1:5999", tmp_path / "aws", python)
    aws = {k: v for k, v in env.items() if k.startswith("AWS_")}
    assert aws == {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:5999",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_CONFIG_FILE": str(tmp_path / "aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws" / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
    }
    assert (tmp_path / "aws" / "config").read_text() == "[default]\n"
    assert env["https_proxy"] == env["HTTPS_PROXY"] == "http://127.0.0.1:9"
    assert env["NO_PROXY"] == "127.0.0.1,localhost"
    assert env["PATH"].startswith(f"{python.parent}:")
    assert env["MY_IP"] == "203.0.113.7"


# -- through the CLI ----------------------------------------------------------------------------


def run_checks(
    cli: Cli, folder: Path, select: str | None = None, env: dict[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """`check --json` in the week folder: the checks by title; none is an error, and nothing
    they started (the moto server, the scripts) is left running."""
    tag = uuid.uuid4().hex
    args: list[str | Path] = ["--course", REPO, "check", "--json"]
    if select:
        args += ["-k", select]
    result = cli(*args, cwd=folder, timeout=900, env={"MLOPS_TEST_TAG": tag, **(env or {})})
    assert "Traceback" not in result.stderr, result.stderr
    data = json.loads(result.stdout)
    assert data["counts"]["error"] == 0, data
    wait_until(lambda: tagged_processes(tag) == [], 30, "left running")
    return {c["title"]: c for c in data["checks"]}


def found(checks: dict[str, dict[str, Any]], key: str) -> str:
    return str(checks[TITLES[key]]["found"])


def train(week: Path) -> None:
    """`python train.py` in the week folder, with the workspace's interpreter."""
    python = week.parent / ".venv" / "bin" / "python"
    done = subprocess.run(
        [python, "train.py"], cwd=week, capture_output=True, text=True, timeout=scaled(300)
    )
    assert done.returncode == 0, done.stderr


# A real account's settings in the CLI's environment: none may reach the learner's scripts (the
# endpoint would be refused, the profile does not exist, the keys are not moto's).
REAL_ACCOUNT = {
    "AWS_PROFILE": "production",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_REGION": "us-west-2",
}


@pytest.mark.slow
def test_finished_project_passes_and_is_left_untouched(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    before = tree_hashes(week)
    checks = run_checks(cli, week, env=REAL_ACCOUNT)
    assert outcomes(checks, TITLES) == ALL_PASS, checks
    assert tree_hashes(week) == before
    assert checks[TITLES["setup"]]["notes"].startswith("setup_seconds ")


@pytest.mark.slow
def test_trained_scaffold_fails_on_the_bucket_imds_firewall_and_teardown(
    cli: Cli, tmp_path: Path
) -> None:
    week = make_week(tmp_path, WEEK, solved=False)
    train(week)
    checks = run_checks(cli, week)
    assert outcomes(checks, TITLES) == {
        **ALL_PASS,
        **dict.fromkeys(("bucket", "model", "instance", "firewall", "teardown"), "failed"),
    }
    assert found(checks, "bucket") == (
        f"{BUCKET}: versioning off; {BUCKET}: no public access block; "
        f"{BUCKET}: no default encryption"
    )
    assert found(checks, "model") == (
        f"s3://{BUCKET}/models/ames-price/1/linear.joblib has no version id (versioning was off "
        "when it was uploaded)"
    )
    assert found(checks, "instance").endswith(": HttpTokens optional (IMDSv1 still answers)")
    assert found(checks, "firewall").endswith(
        "(ames-api): port 8000 is not open, so the API cannot be called"
    )
    assert found(checks, "teardown").startswith(
        "deploy/teardown.sh exited with status 1: teardown is not written yet"
    )
    assert f"bucket {BUCKET} still exists" in found(checks, "teardown")


@pytest.mark.slow
def test_untrained_scaffold_fails_saying_to_train(cli: Cli, tmp_path: Path) -> None:
    checks = run_checks(cli, make_week(tmp_path, WEEK, solved=False), "setup or model or policy")
    assert found(checks, "setup") == (
        "deploy/setup.sh exited with status 1: no models/linear.joblib: run `python train.py` first"
    )
    assert found(checks, "model") == "no models/linear.joblib in the week folder"
    assert checks[TITLES["policy"]]["outcome"] == "blocked"


# -- right submissions written differently ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not on PATH")
def test_the_aws_cli_alone_passes(cli: Cli, tmp_path: Path) -> None:
    """Bash and the AWS CLI, no boto3: another bucket name and key layout
    (models/ames-price/v2/model.joblib), SSE-KMS, the API open to the world and SSH from
    $MY_IP/32, a policy with ListBucket on the bucket and kms:Decrypt."""
    week = make_week(tmp_path, WEEK, solved=True)
    shutil.copytree(CASES / "right-aws-cli", week, dirs_exist_ok=True)
    checks = run_checks(cli, week)
    assert outcomes(checks, TITLES) == ALL_PASS, checks


@pytest.mark.slow
def test_a_managed_policy_and_a_dated_key_pass(cli: Cli, tmp_path: Path) -> None:
    """The policy as a customer managed policy attached to the role (and deleted by the
    teardown), the model under models/ames-price/2026-12-02/model.joblib."""
    week = make_week(tmp_path, WEEK, solved=True)
    deploy = week / "scripts" / "aws_deploy.py"
    edit(deploy, 'MODEL_VERSION = "1"', 'MODEL_VERSION = "2026-12-02"')
    edit(week / "scripts" / "upload_model.py", "{version}/linear.joblib", "{version}/model.joblib")
    edit(week / "deploy" / "user-data.sh", '/linear.joblib" models', '/model.joblib" models')
    edit(
        deploy,
        "    iam.put_role_policy(\n"
        '        RoleName=ROLE, PolicyName=POLICY, PolicyDocument=filled("instance-policy.json", '
        "bucket)\n    )\n",
        "    arn = iam.create_policy(\n"
        '        PolicyName=POLICY, PolicyDocument=filled("instance-policy.json", bucket)\n'
        '    )["Policy"]["Arn"]\n'
        "    iam.attach_role_policy(RoleName=ROLE, PolicyArn=arn)\n",
    )
    edit(
        deploy,
        "    quietly(iam.delete_role_policy, RoleName=ROLE, PolicyName=POLICY)\n",
        "    for policy in iam.list_attached_role_policies(RoleName=ROLE)['AttachedPolicies']:\n"
        "        iam.detach_role_policy(RoleName=ROLE, PolicyArn=policy['PolicyArn'])\n"
        "        iam.delete_policy(PolicyArn=policy['PolicyArn'])\n",
    )
    checks = run_checks(cli, week)
    assert outcomes(checks, TITLES) == ALL_PASS, checks


# -- wrong submissions: mutations of the reference solution ---------------------------------------


@pytest.mark.slow
def test_a_public_unversioned_unencrypted_bucket_and_a_teardown_that_leaves_it(
    cli: Cli, tmp_path: Path
) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    deploy = week / "scripts" / "aws_deploy.py"
    edit(deploy, '"BlockPublicPolicy": True,', '"BlockPublicPolicy": False,')
    edit(deploy, '"RestrictPublicBuckets": True,', '"RestrictPublicBuckets": False,')
    edit(
        deploy,
        '    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})\n',
        "    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({'Statement': [{'Effect': "
        "'Allow', 'Principal': '*', 'Action': 's3:GetObject', 'Resource': "
        "f'arn:aws:s3:::{bucket}/*'}]}))\n",
    )
    edit(deploy, "    s3.put_bucket_encryption(", "    (lambda **_: None)(")
    edit(week / "scripts" / "upload_model.py", '{"ServerSideEncryption": "AES256"}', "{}")
    edit(deploy, "        bucket.delete()\n", "")  # the objects go, the bucket stays
    checks = run_checks(cli, week)
    assert outcomes(checks, TITLES) == {
        **ALL_PASS,
        **dict.fromkeys(("bucket", "model", "teardown"), "failed"),
    }
    assert found(checks, "bucket") == (
        f"{BUCKET}: versioning off; {BUCKET}: public access block with BlockPublicPolicy, "
        f'RestrictPublicBuckets false; {BUCKET}: its bucket policy allows Principal "*"; '
        f"{BUCKET}: no default encryption"
    )
    model = f"s3://{BUCKET}/models/ames-price/1/linear.joblib"
    assert found(checks, "model") == (
        f"{model} is stored without server-side encryption; {model} has no version id "
        "(versioning was off when it was uploaded)"
    )
    assert found(checks, "teardown") == f"bucket {BUCKET} still exists"


@pytest.mark.slow
def test_imdsv1_open_ssh_a_wide_policy_broken_user_data_and_old_versions_left(
    cli: Cli, tmp_path: Path
) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    deploy = week / "scripts" / "aws_deploy.py"
    edit(deploy, '{"HttpTokens": "required",', '{"HttpTokens": "optional",')
    edit(
        deploy,
        '"IpRanges": [{"CidrIp": f"{my_ip()}/32", "Description": "the API, for me"}],\n'
        "            }\n",
        '"IpRanges": [{"CidrIp": f"{my_ip()}/32", "Description": "the API, for me"}],\n'
        "            },\n"
        '            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,\n'
        '             "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},\n',
    )
    edit(
        week / "deploy" / "instance-policy.json",
        '"Action": ["s3:GetObject"],',
        '"Action": ["s3:GetObject", "s3:GetObjects"],',
    )
    edit(
        week / "deploy" / "instance-policy.json",
        '"arn:aws:s3:::__BUCKET__/releases/*"',
        '"arn:aws:s3:::__BUCKET__/releases/*", "*"',
    )
    edit(
        deploy,
        "    iam.create_instance_profile(",
        "    iam.attach_role_policy(\n"
        '        RoleName=ROLE, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"\n'
        "    )\n"
        "    iam.create_instance_profile(",
    )
    edit(
        deploy,
        "    quietly(iam.delete_role, RoleName=ROLE)",
        "    quietly(iam.detach_role_policy, RoleName=ROLE,\n"
        '            PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")\n'
        "    quietly(iam.delete_role, RoleName=ROLE)",
    )
    edit(week / "deploy" / "user-data.sh", "docker build -t ames-api .\n", "if [ -f x ]; then\n")
    # The classic teardown: the latest objects get delete markers, their versions stay, and the
    # bucket cannot be deleted (as `aws s3 rb --force` on a versioned bucket).
    edit(deploy, "bucket.object_versions.delete()", "bucket.objects.delete()")
    edit(
        week / "deploy" / "user-data.sh",
        "set -euxo pipefail\n",
        "set -euxo pipefail\nexport AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n",
    )
    checks = run_checks(cli, week)
    assert outcomes(checks, TITLES) == {
        **ALL_PASS,
        **dict.fromkeys(("policy", "instance", "firewall", "user data", "teardown"), "failed"),
    }
    assert found(checks, "policy").startswith(
        'ames-api-ec2/read-models: statement 1 (ReadModelsAndReleasesOnly): "s3:GetObjects" is '
        "not an IAM action (did you mean s3:GetObject?); ames-api-ec2/read-models: statement 1 "
        '(ReadModelsAndReleasesOnly): Resource "*" on s3:GetObject, s3:GetObjects (every bucket '
        "in every account); "
    )
    # An AWS managed policy is read from the account as any other.
    assert (
        'ames-api-ec2/AmazonS3ReadOnlyAccess: statement 1: Action "s3:Get*" is a wildcard'
        in found(checks, "policy")
    )
    assert found(checks, "instance").endswith(": HttpTokens optional (IMDSv1 still answers)")
    assert found(checks, "firewall").endswith(
        "(ames-api): tcp 22 from 0.0.0.0/0: SSH open to 0.0.0.0/0"
    )
    assert ": bash -n: " in found(checks, "user data")
    assert "syntax error" in found(checks, "user data")
    assert ": AWS credentials in the user data (the role provides them)" in found(
        checks, "user data"
    )
    assert "the emulated AWS never runs it" in checks[TITLES["user data"]]["expected"]
    assert found(checks, "teardown").startswith("deploy/teardown.sh exited with status 1: ")
    assert "BucketNotEmpty" in found(checks, "teardown")
    assert found(checks, "teardown").endswith(f"; bucket {BUCKET} still exists")


@pytest.mark.slow
def test_a_script_that_reaches_for_the_internet_is_refused(cli: Cli, tmp_path: Path) -> None:
    """The scripts cannot reach the internet: a set-up that ignores $MY_IP and asks
    checkip.amazonaws.com is refused (by the closed proxy) and stops before the firewall."""
    week = make_week(tmp_path, WEEK, solved=True)
    deploy = week / "scripts" / "aws_deploy.py"
    edit(deploy, '    if os.environ.get("MY_IP"):\n', "    if False:\n")
    checks = run_checks(cli, week)
    assert outcomes(checks, TITLES) == {
        **ALL_PASS,
        **dict.fromkeys(("setup", "instance", "firewall", "user data"), "failed"),
    }
    assert found(checks, "setup").startswith("deploy/setup.sh exited with status 1: ")
    assert "URLError" in found(checks, "setup")
    assert found(checks, "firewall") == "no instance (deploy/setup.sh exited with status 1 before)"


# -- the opt-in check on a real account, against a stand-in -----------------------------------------


@pytest.fixture
def stand_in_account() -> Iterator[str]:
    """A moto server on loopback standing in for the learner's own account (its URL)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.mark.slow
def test_the_account_check_is_opt_in_read_only_and_names_leftovers(
    cli: Cli, tmp_path: Path, stand_in_account: str
) -> None:
    import boto3

    week = make_week(tmp_path, WEEK, solved=False)
    checks = run_checks(cli, week, "account")
    account = checks[TITLES["account"]]
    assert account["outcome"] == "blocked"
    assert (
        account["found"]
        == "reading your AWS account is opt-in (MLOPS_ROADMAP_AWS_ACCOUNT is not 1)"
    )
    assert "MLOPS_ROADMAP_AWS_ACCOUNT=1 mlops-roadmap check" in account["hint"]

    keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    ec2, s3 = (
        boto3.client(s, endpoint_url=stand_in_account, region_name="eu-west-1", **keys)
        for s in ("ec2", "s3")
    )
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "project", "Value": "mlops-roadmap"}]}]
    instance = ec2.run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, TagSpecifications=tags
    )["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[instance])
    bucket = "ames-mlops-123456789012-eu-west-1"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket=bucket, Key="models/ames-price/1/linear.joblib", Body=b"model")
    before = s3.list_objects_v2(Bucket=bucket)["KeyCount"]
    opted_in = {
        "MLOPS_ROADMAP_AWS_ACCOUNT": "1",
        "AWS_ENDPOINT_URL": stand_in_account,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "eu-west-1",
    }
    checks = run_checks(cli, week, "account", env=opted_in)
    assert checks[TITLES["account"]]["outcome"] == "failed", checks[TITLES["account"]]["found"]
    assert found(checks, "account") == f"instance {instance} (stopped, eu-west-1); bucket {bucket}"
    assert (
        ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["State"][
            "Name"
        ]
        == "stopped"
    )  # read, never changed
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == before

    ec2.terminate_instances(InstanceIds=[instance])
    s3.delete_object(Bucket=bucket, Key="models/ames-price/1/linear.joblib")
    s3.delete_bucket(Bucket=bucket)
    checks = run_checks(cli, week, "account", env=opted_in)
    assert checks[TITLES["account"]]["outcome"] == "passed"
