"""Week 4 fixtures: the learner's two images, built, run and removed through the Docker engine.

The images are built with the Docker SDK (the classic builder) from one clean copy of the week
folder. The training image runs with data/ mounted read-only and an empty models/ mounted
writable; the serving image is then built from that same copy, so it bakes in the model the
training container wrote, and is called on a published loopback port.

Everything made here carries the label mlops-roadmap.check=1 (and this run's id) and is removed
by the engine fixture's finaliser, registered before anything is made: after a pass, a failure,
a timeout or Ctrl-C. The SDK is imported inside the fixtures; the learner's code only ever runs
inside containers.
"""

from __future__ import annotations

import csv
import json
import os
import re
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap.checking import blocked

CHECK_LABEL = "mlops-roadmap.check"
RUN_LABEL = "mlops-roadmap.run"
WEEK_LABEL = "mlops-roadmap.week"  # which week's checks made it (`docker ps -a --filter label=`)
HOUSES_CSV = Path(__file__).resolve().parent / "data" / "houses.csv"
LOG_LINES = 15  # build and container log lines kept for a failure message
API_TIMEOUT = 600  # seconds an engine call may stay silent (a long RUN step prints nothing)
TRAIN_TIMEOUT = 300
PROBE_TIMEOUT = 120
READY_TIMEOUT = 60  # seconds for the serving container to answer at all
MARKER = "PREDICTIONS-JSON:"
CLEANUP_TRIES = 20  # half a second apart
START_FAILED = -1  # the exit status reported for a container that never started
# The libraries a pickled model depends on: each image is asked for their versions.
LIBRARIES = ("sklearn", "joblib", "numpy", "pandas")
VERSIONS = """
import importlib, json, sys
def versions(names):
    found = {}
    for name in names.split(","):
        try:
            found[name] = str(importlib.import_module(name).__version__)
        except Exception as exc:
            found[name] = "not importable (" + type(exc).__name__ + ")"
    return found
if __name__ == "__main__":
    print(sys.argv[2] + json.dumps(versions(sys.argv[1])))
"""
# Runs in the training image: the model the training container wrote, on the check's houses,
# and the image's library versions (asked here, it costs no container of its own).
PROBE = (
    VERSIONS.split("if __name__")[0]
    + """
try:
    import joblib, pandas as pd
    model = joblib.load(sys.argv[1])
    prices = model.predict(pd.DataFrame(json.loads(sys.argv[2])))
    answer = {"predictions": [float(p) for p in prices]}
except Exception as exc:
    import traceback
    answer = {"error": "".join(traceback.format_exception_only(type(exc), exc)).strip()}
answer["versions"] = versions(sys.argv[4])
print(sys.argv[3] + json.dumps(answer))
"""
)
STEP = re.compile(r"Step \d+/\d+ : (\S+)")
LAYER = re.compile(r" ---> ([0-9a-f]{12})")
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the builder colours a RUN step's stderr
RUNNING = re.compile(r" ---> Running in ([0-9a-f]{12})")
UNREACHABLE = ("dial tcp", "no such host", "i/o timeout", "TLS handshake", "network is unreachable")
INSIDE_AFTER = 5  # seconds before asking inside the container why nothing answers outside
INSIDE_PROBE = "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/health', timeout=2)"
INSIDE_ONLY = (
    "the server answers inside the container but not on the published port: it listens on "
    "127.0.0.1 inside the container, which nothing outside can reach"
)
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only


@dataclass
class Engine:
    """A Docker client, and what this run made with it (removed by ``cleanup``)."""

    client: Any
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    images: list[str] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)

    @property
    def labels(self) -> dict[str, str]:
        return {CHECK_LABEL: "1", RUN_LABEL: self.run_id, WEEK_LABEL: "week04"}

    def tag(self, kind: str) -> str:
        return f"mlops-roadmap-check/week04-{kind}:{self.run_id}"

    def cleanup(self) -> None:
        """Remove this run's containers, then its images. Runs in teardown, so never raises."""
        for attempt in range(CLEANUP_TRIES):  # an interrupted build may still be cancelling
            if attempt:
                time.sleep(0.5)
            if not self.sweep():
                break
        quietly(self.client.close)

    def sweep(self) -> bool:
        """Remove what this run made; True when some of it is still there."""
        api, mine = self.client.api, {"label": f"{RUN_LABEL}={self.run_id}"}
        listed = quietly(lambda: [c["Id"] for c in api.containers(all=True, filters=mine)])
        for cid in {*(listed or []), *self.containers}:
            quietly(partial(api.remove_container, cid, force=True, v=True))
        tagged = quietly(lambda: [i["Id"] for i in api.images(filters=mine)]) or []
        for iid in tagged:
            quietly(partial(api.remove_image, iid, force=True))
        # Layers of a build that stopped half-way: untagged, so removing one also prunes its
        # untagged parents; one still in use by another image is refused and stays.
        layers = self.leftovers()
        for iid in layers:
            quietly(partial(api.remove_image, iid))
        return any(quietly(partial(api.inspect_image, i)) for i in {*tagged, *layers})

    def leftovers(self) -> list[str]:
        """The layers our builds made, and any the engine committed on top of them after an
        interrupted build stopped being read: the newest first."""
        ours = {i[:12] for i in self.images}
        listed = quietly(lambda: self.client.api.images(all=True)) or []
        untagged = [
            i for i in listed if (i.get("RepoTags") or ["<none>:<none>"]) == ["<none>:<none>"]
        ]
        later: list[str] = []
        grew = True
        while grew:
            grew = False
            for image in untagged:
                iid, parent = (
                    str(image.get(k)).rpartition(":")[2][:12] for k in ("Id", "ParentId")
                )
                if parent in ours and iid not in ours:
                    ours.add(iid)
                    later.append(iid)
                    grew = True
        return [*reversed(later), *reversed(self.images)]


def explain(exc: Exception) -> str:
    """The engine's own words for an API error, without the HTTP request around them."""
    return str(getattr(exc, "explanation", None) or exc)


def quietly(action: Callable[[], Any]) -> Any:
    """Run a clean-up step; a failure (already gone, engine gone) must not stop the others."""
    try:
        return action()
    except Exception:
        return None


@dataclass(frozen=True)
class Build:
    """One `docker build`: the image it made (None when it failed) and its log's last lines."""

    dockerfile: str
    image: str | None
    log: tuple[str, ...]
    error: str = ""
    seconds: float = 0.0

    @property
    def unreachable(self) -> bool:
        """It failed because the engine could not reach a registry to pull a base image."""
        return any(word in self.error for word in UNREACHABLE)

    def tail(self) -> str:
        return "\n".join(self.log) or "(no build output)"


class BuildLog:
    """Follows the classic builder's output: keeps its tail, and records the containers and
    layers the build makes (not base images, nor layers reused from cache) for clean-up."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.tail: deque[str] = deque(maxlen=LOG_LINES)
        self.partial = ""
        self.new_layer = False

    def feed(self, text: str) -> None:
        """Take a piece of output (the engine splits lines across messages)."""
        *lines, self.partial = (self.partial + ANSI.sub("", text)).split("\n")
        for line in (ln.rstrip() for ln in lines):
            if line.strip():
                self.line(line)

    def line(self, line: str) -> None:
        if step := STEP.match(line):
            self.new_layer = step.group(1).upper() != "FROM"
        elif line.strip() == "---> Using cache":
            self.new_layer = False
        elif running := RUNNING.fullmatch(line):
            self.engine.containers.append(running.group(1))
        elif (layer := LAYER.fullmatch(line)) and self.new_layer:
            self.engine.images.append(layer.group(1))
        # The learner needs the steps and their output, not the builder's bookkeeping.
        if not line.startswith((" ---> ", "Removing intermediate container")):
            self.tail.append(line)


def build_image(engine: Engine, context: Path, dockerfile: str, kind: str) -> Build:
    """Build ``context/dockerfile``, draining the engine's progress stream to the end."""
    import requests
    from docker.errors import DockerException

    if not (context / dockerfile).is_file():
        return Build(dockerfile, None, (), f"there is no {dockerfile} in the week folder")
    log, image, error, started = BuildLog(engine), None, "", time.monotonic()
    read_to_end = False
    try:
        stream = engine.client.api.build(
            path=str(context), dockerfile=dockerfile, tag=engine.tag(kind),
            labels=engine.labels, rm=True, forcerm=True, pull=False, decode=True,
        )  # fmt: skip
        for chunk in stream:
            if "stream" in chunk:
                log.feed(chunk["stream"])
            elif "error" in chunk:
                error = str(chunk["error"]).strip()
            elif "status" in chunk and not chunk.get("progressDetail"):
                log.feed(f"{chunk.get('id', '')} {chunk['status']}".strip() + "\n")
            elif "aux" in chunk:
                image = chunk["aux"].get("ID") or image
        read_to_end = True
    except (DockerException, requests.RequestException, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    finally:
        if not read_to_end:  # Ctrl-C, the time limit, a broken stream: hang up, so the
            quietly(engine.client.api.close)  # engine cancels the build
    log.feed("\n")
    if not error and image is None:
        image = quietly(lambda: engine.client.api.inspect_image(engine.tag(kind))["Id"])
    seconds = time.monotonic() - started
    return Build(dockerfile, None if error else image, tuple(log.tail), error, seconds)


def host_user() -> str | None:
    """`uid:gid` of this process, so files a container writes to a mount stay the learner's."""
    return f"{os.getuid()}:{os.getgid()}" if hasattr(os, "getuid") else None


def run_to_end(
    engine: Engine, image: str, timeout: float, **options: Any
) -> tuple[int | None, str]:
    """Run a container until it exits: (exit status or None past ``timeout``, its last lines)."""
    import requests
    from docker.errors import DockerException

    try:
        container = engine.client.containers.create(image, labels=engine.labels, **options)
    except DockerException as exc:
        return START_FAILED, f"the engine could not create the container: {explain(exc)}"
    engine.containers.append(container.id)
    try:
        container.start()
        status: int | None = container.wait(timeout=timeout)["StatusCode"]
    except DockerException as exc:  # e.g. its CMD names a program the image does not have
        return START_FAILED, f"the container did not start: {explain(exc)}"
    except requests.RequestException:
        status = None
    finally:
        logs = quietly(lambda: container.logs(tail=200).decode("utf-8", errors="replace"))
        quietly(lambda: container.remove(force=True, v=True))
    return status, logs or ""


def http(url: str, payload: Any = None, timeout: float = 10) -> tuple[int, str]:
    """GET (or POST ``payload`` as JSON) on loopback: (status, body); status 0 when no answer."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with NO_PROXY.open(request, timeout=timeout) as answer:
            return answer.status, answer.read(100_000).decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(2_000).decode("utf-8", errors="replace")
    except OSError as exc:  # refused, reset while the server starts, timed out
        return 0, str(exc)


def read_houses() -> list[dict[str, Any]]:
    """The check's houses as a JSON payload: every column but price, numbers as numbers."""

    def value(text: str) -> Any:
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
        return text

    with HOUSES_CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [{k: value(v) for k, v in row.items() if k != "price"} for row in rows]


@dataclass(frozen=True)
class TrainingRun:
    status: int | None  # the container's exit status; None when stopped at the time limit
    logs: str
    models: Path
    files: tuple[str, ...]  # what it wrote under models/
    model: dict[str, Any]  # the probe's answer on models/linear.joblib: predictions or error

    @property
    def never_started(self) -> bool:
        return self.status == START_FAILED


@dataclass(frozen=True)
class Served:
    url: str
    health: tuple[int, str]  # the first answer of GET /health; status 0 when none came
    problem: str  # why it never answered, with the container's last log lines

    def post(self, path: str, payload: Any) -> tuple[int, str]:
        return http(self.url + path, payload, timeout=30)


@pytest.fixture(scope="module")
def engine(request: pytest.FixtureRequest) -> Engine:
    """A client of the engine the docker probe found; the finaliser removes all it made."""
    try:
        import docker
    except ImportError:
        blocked("the Docker SDK for Python is not installed here", hint="pip install docker")
    try:
        client = docker.from_env(timeout=API_TIMEOUT)
        client.ping()
    except Exception as exc:  # any failure to reach it: a socket, TLS or API error
        blocked(
            f"no Docker engine answers: {exc}",
            hint="Start Docker (Docker Desktop, or `sudo dockerd &`), or point DOCKER_HOST at it.",
        )
    made = Engine(client)
    request.addfinalizer(made.cleanup)
    return made


@pytest.fixture(scope="module")
def houses() -> list[dict[str, Any]]:
    """The houses both the trained model and the serving container price."""
    return read_houses()


@pytest.fixture(scope="module")
def context(clean_copy: Callable[..., Path]) -> Path:
    """A clean copy of the week folder without models/: the training container fills it."""
    return clean_copy("models")


@pytest.fixture(scope="module")
def training_build(engine: Engine, context: Path) -> Build:
    return build_image(engine, context, "Dockerfile.train", "train")


@pytest.fixture(scope="module")
def serving_build(engine: Engine, context: Path, training_run: TrainingRun) -> Build:
    if not (training_run.models / "linear.joblib").is_file():
        blocked(
            "the training container wrote no models/linear.joblib for Dockerfile.serve to copy",
            hint="Make the check 'The training container writes a loadable model to the mounted "
            "models/ folder' pass first.",
        )
    return build_image(engine, context, "Dockerfile.serve", "serve")


def built(build: Build) -> str:
    """The image of a build, or the check is blocked because the build failed."""
    if build.image is None:
        blocked(
            f"{build.dockerfile} did not build, so its image cannot be run",
            hint=f"Make the check '{build.dockerfile} builds into an image' pass first.",
        )
    return build.image


@pytest.fixture(scope="module")
def training_run(
    engine: Engine, training_build: Build, context: Path, houses: list[dict[str, Any]]
) -> TrainingRun:
    """The training image run once with data/ (read-only) and models/ mounted, then probed."""
    image = built(training_build)
    models, data = context / "models", context / "data"
    models.mkdir(exist_ok=True)
    data.mkdir(exist_ok=True)  # else the engine would make it, owned by root
    mounts = {str(data): {"bind": "/app/data", "mode": "ro"}}
    mounts[str(models)] = {"bind": "/app/models", "mode": "rw"}
    options = {"user": host_user(), "network_mode": "none", "volumes": mounts}
    status, logs = run_to_end(engine, image, TRAIN_TIMEOUT, **options)
    files = tuple(sorted(p.relative_to(models).as_posix() for p in models.rglob("*")))
    model: dict[str, Any] = {"error": "models/linear.joblib was not written"}
    if (models / "linear.joblib").is_file():
        probe = [json.dumps(houses), MARKER, ",".join(LIBRARIES)]
        options["volumes"] = {str(models): {"bind": "/check/models", "mode": "ro"}}
        command = ["/check/models/linear.joblib", *probe]
        _, out = run_to_end(
            engine, image, PROBE_TIMEOUT, entrypoint=["python", "-c", PROBE], command=command,
            **options,
        )  # fmt: skip
        lines = [ln for ln in out.splitlines() if ln.startswith(MARKER)]
        failed = "python could not run in the training image: " + out[-600:]
        model = json.loads(lines[-1][len(MARKER) :]) if lines else {"error": failed}
    return TrainingRun(status, logs, models, files, model)


def image_versions(engine: Engine, image: str) -> dict[str, str] | str:
    """The LIBRARIES' versions Python finds in an image, or why it could not say."""
    status, out = run_to_end(
        engine, image, PROBE_TIMEOUT, entrypoint=["python", "-c", VERSIONS],
        command=[",".join(LIBRARIES), MARKER], user=host_user(), network_mode="none",
    )  # fmt: skip
    lines = [ln for ln in out.splitlines() if ln.startswith(MARKER)]
    if lines:
        found: dict[str, str] = json.loads(lines[-1][len(MARKER) :])
        return found
    return f"python could not run in the image (exit status {status}): {out.strip()[-400:]}"


@pytest.fixture(scope="module")
def library_versions(
    engine: Engine, training_build: Build, serving_build: Build, training_run: TrainingRun
) -> dict[str, dict[str, str] | str]:
    """What each image holds of the libraries the model's pickle depends on."""
    serving = image_versions(engine, built(serving_build))
    training = training_run.model.get("versions")
    if not isinstance(training, dict):
        training = image_versions(engine, built(training_build))
    return {"training": training, "serving": serving}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(engine: Engine, serving_build: Build) -> Served:
    """The serving image running with port 8000 published on 127.0.0.1, once it answers."""
    from docker.errors import DockerException

    image = built(serving_build)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        container = engine.client.containers.create(
            image, labels=engine.labels, ports={"8000/tcp": ("127.0.0.1", port)}
        )
        engine.containers.append(container.id)
        container.start()
    except DockerException as exc:
        return Served(url, (0, ""), f"the container did not start: {explain(exc)}")
    deadline, started = time.monotonic() + READY_TIMEOUT, time.monotonic()
    while True:
        answer = http(url + "/health", timeout=5)
        if answer[0]:
            return Served(url, answer, "")
        container.reload()
        if container.status in ("exited", "dead"):
            code = container.attrs["State"].get("ExitCode")
            return Served(
                url, answer, f"the container stopped (exit status {code}); {logs(container)}"
            )
        waited = time.monotonic() - started
        if waited > INSIDE_AFTER and answers_inside(container):
            return Served(url, answer, f"{INSIDE_ONLY}; {logs(container)}")
        if time.monotonic() > deadline:
            why = f"nothing answered on port 8000 within {READY_TIMEOUT} s"
            return Served(url, answer, f"{why}; {logs(container)}")
        time.sleep(0.25)


def logs(container: Any) -> str:
    text = quietly(lambda: container.logs(tail=LOG_LINES).decode("utf-8", errors="replace"))
    return "its last lines:\n" + ((text or "").strip() or "(no output)")


def answers_inside(container: Any) -> bool:
    """Whether the server answers inside the container (on its own 127.0.0.1) after all."""
    result = quietly(lambda: container.exec_run(["python", "-c", INSIDE_PROBE], user="0"))
    return result is not None and result.exit_code == 0
