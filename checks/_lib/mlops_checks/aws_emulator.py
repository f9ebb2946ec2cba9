"""An emulated AWS for checks: a moto server on loopback, and the environment a learner's
scripts run in against it.

The scripts see the server's endpoint (`AWS_ENDPOINT_URL`, which boto3 and the AWS CLI both
follow), dummy credentials, a region, empty AWS config and credentials files, and none of the
real environment's AWS settings, so nothing reaches a real account. Proxies point at a closed
loopback port, with loopback itself exempt: a script that calls out to the internet (say, to
look up its public address) fails instead of reaching it. The checker asks the same server
with boto3 in its own process.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_roadmap import servers
from mlops_roadmap.fixtures import Serve

REGION = "eu-west-1"  # the lesson's region: outside us-east-1, buckets need a LocationConstraint
MY_IP = "203.0.113.7"  # TEST-NET-3 (RFC 5737): the learner's address, as the scripts get it
CLOSED = "http://127.0.0.1:9"  # nothing listens on the discard port
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
START_TIMEOUT = 90  # ~3 s quiet; with the set-up script (180 s) within a check's 300 s
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass(frozen=True)
class Emulator:
    """A running moto server: its URL, and the environment the learner's scripts get."""

    url: str
    env: dict[str, str]

    def client(self, service: str) -> Any:
        """A client of the emulator (botocore has no types: Any). Its session reads no profile
        and no AWS config file, so the checker's own AWS_* settings cannot redirect it."""
        import botocore.session  # type: ignore[import-untyped,unused-ignore]
        from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]

        session = botocore.session.Session()
        session.set_config_variable("config_file", self.env["AWS_CONFIG_FILE"])
        session.set_config_variable("credentials_file", self.env["AWS_SHARED_CREDENTIALS_FILE"])
        session.set_config_variable("profile", "default")  # the only one those files hold
        config = Config(retries={"max_attempts": 2}, connect_timeout=10, read_timeout=30)
        return session.create_client(
            service, endpoint_url=self.url, region_name=REGION, config=config, **CREDENTIALS
        )


def script_env(url: str, home: Path, learner_python: Path) -> dict[str, str]:
    """The environment for the learner's scripts: the real one without AWS_* or proxies, the
    learner's virtual environment first on PATH, and the emulator's endpoint."""
    home.mkdir(parents=True, exist_ok=True)
    for name in ("config", "credentials"):
        (home / name).write_text("[default]\n", encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k.upper() not in PROXIES and k != "VIRTUAL_ENV"
    }
    bin_dir = learner_python.parent
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID=CREDENTIALS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=CREDENTIALS["aws_secret_access_key"],
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(home / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
        MY_IP=MY_IP,
        PYTHONDONTWRITEBYTECODE="1",
    )
    if (bin_dir.parent / "pyvenv.cfg").is_file():
        env["VIRTUAL_ENV"] = str(bin_dir.parent)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = CLOSED
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def start(serve: Serve, home: Path, learner_python: Path) -> Emulator:
    """Start moto's server on a free loopback port with the checker's interpreter (the
    engine's `serve` stops it when the checks end); raises `servers.ServerFailed`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # AWS's own policies, as a real account has
    server = serve(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "{port}"],
        ready=servers.answers("/moto-api/", 200),
        env=env,
        timeout=START_TIMEOUT,
    )
    return Emulator(server.url, script_env(server.url, home, learner_python))
