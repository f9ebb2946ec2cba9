"""Week 13 fixtures: the learner's deploy/setup.sh run once against an emulated AWS.

A moto server (`mlops_checks.aws_emulator`) starts on loopback through the engine's `serve`
fixture, which stops it when the checks end; setup.sh runs in a clean copy of the week folder
(so the upload's by-products never land in the learner's folder) with the emulator's endpoint,
dummy credentials and no route to a real account. Each check then asks the emulator with
boto3 what the script made; the teardown check runs deploy/teardown.sh last and lists again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import aws_emulator, aws_inventory
from mlops_checks.aws_inventory import Inventory
from mlops_roadmap import servers
from mlops_roadmap.checking import blocked, fail
from mlops_roadmap.fixtures import CleanCopy, Run, Serve

SETUP = "deploy/setup.sh"
TEARDOWN = "deploy/teardown.sh"
MODEL = "models/linear.joblib"
MODEL_KEY = re.compile(r"models/ames-price/[^/]+/[^/]+")  # models/ames-price/<version>/<file>
SCRIPT_TIMEOUT = 180  # the reference set-up takes 3 s (15 s loaded); the AWS CLI one 60 s loaded
SETUP_TITLE = "deploy/setup.sh runs to the end against an emulated AWS"


@dataclass(frozen=True)
class Deployment:
    """setup.sh run once: where, how it ended, and what the account held before and after."""

    aws: aws_emulator.Emulator
    folder: Path  # the clean copy the scripts run in
    ended: str  # how setup.sh ended when it did not run to the end ("" when it did)
    tail: str  # its last lines of output
    seconds: float
    before: Inventory
    made: Inventory  # what the account holds now that it did not before setup.sh

    def client(self, service: str) -> Any:
        return self.aws.client(service)

    @property
    def problem(self) -> str:
        """How setup.sh ended and its last output ("" when it ran to the end)."""
        return f"{self.ended}: {self.tail}" if self.ended else ""

    def missing(self, what: str) -> str:
        """ "no bucket", and that setup.sh stopped when it did."""
        return f"no {what}" + (f" ({SETUP} {self.ended} before)" if self.ended else "")


@pytest.fixture(scope="session")
def aws(
    serve: Serve, learner_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> aws_emulator.Emulator:
    """The emulated AWS, or the check is blocked when moto's server does not start."""
    try:
        return aws_emulator.start(serve, tmp_path_factory.mktemp("aws-home"), learner_python)
    except servers.ServerFailed as exc:
        blocked(
            f"the emulated AWS (moto's server) did not start: {exc}: {exc.tail}",
            hint="Install the course's packages: `pip install 'mlops-roadmap[learner]'` "
            "brings moto[server] and boto3.",
        )


@pytest.fixture(scope="session")
def deployment(aws: aws_emulator.Emulator, run: Run, clean_copy: CleanCopy) -> Deployment:
    """deploy/setup.sh run once in a clean copy of the week folder."""
    folder = clean_copy()
    before = aws_inventory.take(aws.client)
    ended, tail, seconds = "", "", 0.0
    if not (folder / SETUP).is_file():
        ended, tail = "does not exist", f"the week folder has no {SETUP}"
    else:
        result = run(["bash", SETUP], cwd=folder, env=aws.env, timeout=SCRIPT_TIMEOUT)
        seconds, tail = result.duration, result.tail(6)
        if result.timed_out:
            ended = f"did not finish within {SCRIPT_TIMEOUT} s"
        elif result.returncode != 0:
            ended = f"exited with status {result.returncode}"
    made = aws_inventory.made(before, aws_inventory.take(aws.client))
    return Deployment(aws, folder, ended, tail, seconds, before, made)


@dataclass(frozen=True)
class ModelObject:
    bucket: str
    key: str
    head: dict[str, Any]  # head_object's answer


def model_bytes(deployment: Deployment) -> bytes:
    path = deployment.folder / MODEL
    if not path.is_file():
        fail(
            expected=f"{MODEL} in the week folder, the model the upload sends",
            found=f"no {MODEL} in the week folder",
            hint="Run `python train.py` in the week folder first.",
        )
    return path.read_bytes()


def find_model(deployment: Deployment) -> tuple[ModelObject | None, list[str]]:
    """The object under models/ames-price/<version>/ holding the learner's model bytes, and
    every key under models/ames-price/ that was looked at."""
    s3 = deployment.client("s3")
    wanted = model_bytes(deployment)
    seen = []
    for bucket in sorted(deployment.made.buckets):
        listed = s3.list_objects_v2(Bucket=bucket, Prefix="models/ames-price/")
        for entry in listed.get("Contents", []):
            key = entry["Key"]
            seen.append(f"s3://{bucket}/{key}")
            if not MODEL_KEY.fullmatch(key) or entry["Size"] != len(wanted):
                continue
            if s3.get_object(Bucket=bucket, Key=key)["Body"].read() == wanted:
                return ModelObject(bucket, key, s3.head_object(Bucket=bucket, Key=key)), seen
    return None, seen


@pytest.fixture(scope="session")
def model(deployment: Deployment) -> ModelObject:
    """The uploaded model, or the check is blocked (the model check says why it is missing)."""
    if not (deployment.folder / MODEL).is_file():
        blocked(f"no {MODEL} in the week folder", hint="Run `python train.py` first.")
    found, _ = find_model(deployment)
    if found is None:
        blocked(
            "the model is not in the bucket, so there is nothing for the role to read",
            hint="Make the check about the model under models/ames-price/<version>/ pass first.",
        )
    return found
