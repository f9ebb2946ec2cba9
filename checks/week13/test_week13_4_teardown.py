"""Week 13: deploy/teardown.sh deletes what deploy/setup.sh made. It runs last, once."""

from __future__ import annotations

import pytest
from conftest import SCRIPT_TIMEOUT, TEARDOWN, Deployment

from mlops_checks import aws_inventory
from mlops_roadmap.checking import blocked, expect_none
from mlops_roadmap.fixtures import Run


@pytest.mark.points(3)
@pytest.mark.hint(
    "Terminate the instance (wait for it), delete the security group, remove the role from "
    "the profile, delete the profile, the role's policies and the role, then delete every "
    "object version and delete marker and the bucket (`aws s3 rb --force` leaves old "
    "versions; boto3's Bucket(name).object_versions.delete() does not)."
)
def test_teardown(deployment: Deployment, run: Run) -> None:
    """deploy/teardown.sh deletes everything deploy/setup.sh made"""
    if deployment.made == aws_inventory.made(deployment.before, deployment.before):
        blocked("deploy/setup.sh made nothing, so there is nothing to tear down")
    problems = []
    if not (deployment.folder / TEARDOWN).is_file():
        problems.append(f"no {TEARDOWN}")
    else:
        result = run(
            ["bash", TEARDOWN],
            cwd=deployment.folder,
            env=deployment.aws.env,
            timeout=SCRIPT_TIMEOUT,
        )
        if result.timed_out or result.returncode != 0:
            how = "timed out" if result.timed_out else f"exited with status {result.returncode}"
            problems.append(f"{TEARDOWN} {how}: {result.tail(4)}")
    now = aws_inventory.take(deployment.client)
    left = aws_inventory.left(deployment.made, now)
    problems += [f"{thing} still exists" for thing in left]
    expect_none(
        problems,
        expected=f"none of the {aws_inventory.count(deployment.made)} setup made",
    )
