"""Week 17 fixtures: k8s/ read once (kustomized where a kustomization exists), and the
Deployment's pod replayed once with a Docker engine.

The image is built from a clean copy of the week folder with its own Dockerfile, then run with
the manifest's settings (``mlops_checks.pod_replay``) until its readiness probe passes; the
checks then ask it. Everything made is labelled and removed by the engine's finaliser,
registered before anything is made.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import (
    HOLDOUT,
    config_refs,
    docker_engine,
    manifest_checks,
    manifests,
    pod_replay,
    workloads,
)
from mlops_checks.docker_engine import Engine, http
from mlops_checks.kserve_protocol import House, typed
from mlops_checks.manifest_checks import usable as usable
from mlops_checks.waits import ready_wait
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import CleanCopy, Run

Note = Callable[[str, object], None]
K8S = "k8s"
READY_TIMEOUT = ready_wait(180)  # seconds for the readiness probe to pass on a loaded machine
HOUSES = 20
BUILD_TITLE = "The Dockerfile builds the API image from a clean copy"
GET_AN_ENGINE = "Start Docker (Docker Desktop, or `sudo dockerd &`), or point DOCKER_HOST at it."


@pytest.fixture(scope="session")
def kubectl() -> str | None:
    return shutil.which("kubectl")


@pytest.fixture(scope="session")
def folder(week_dir: Path, run: Run, kubectl: str | None) -> manifests.Folder:
    """k8s/ read: its object sets (rendered by kustomize where it has kustomizations)."""
    return manifests.read_folder(week_dir, week_dir / K8S, run, kubectl)


@pytest.fixture(scope="session")
def committed(week_dir: Path, run: Run) -> set[Path]:
    """The files of the week folder git would commit (all of them outside a repository)."""
    return manifest_checks.committed_files(week_dir, run)


@pytest.fixture(scope="session")
def routes(week_dir: Path) -> set[str]:
    """The GET routes app/ declares (`@app.get("/health")`, `@router.get(...)`)."""
    return manifest_checks.get_routes(week_dir / "app")


def the_set(folder: manifests.Folder) -> manifests.ObjectSet:
    """The object set the pod is replayed from: the first that has a Deployment."""
    return manifest_checks.with_deployment(folder)


@dataclass
class Replay:
    """The pod as the engine ran it, and what it answered."""

    settings: pod_replay.Settings | None = None
    build: docker_engine.Build | None = None
    container: Any = None
    spec: dict[str, Any] = field(default_factory=dict)  # the Deployment's container
    probe: dict[str, Any] = field(default_factory=dict)  # the readinessProbe's httpGet
    url: str = ""  # http://127.0.0.1:PORT of the probe's port
    ready_after: float | None = None  # seconds from start to the first ready answer
    problem: str = ""  # why it never got ready, with its last output
    budget: float | None = None  # the liveness probe's patience, seconds


@pytest.fixture(scope="session")
def engine(request: pytest.FixtureRequest) -> Engine:
    made, why = docker_engine.connect()
    if made is None:
        blocked(why, hint=GET_AN_ENGINE)
    request.addfinalizer(made.cleanup)
    return made


@pytest.fixture(scope="session")
def built(engine: Engine, clean_copy: CleanCopy) -> docker_engine.Build:
    """The week folder's Dockerfile built once, from a clean copy (no models/, no .venv)."""
    return docker_engine.build(engine, clean_copy("models"), "week17-api")


@pytest.fixture(scope="session")
def replay(
    engine: Engine,
    built: docker_engine.Build,
    folder: manifests.Folder,
    tmp_path_factory: pytest.TempPathFactory,
) -> Replay:
    """The Deployment's first container run as its pod would, polled on its readiness probe."""
    if built.image is None:
        blocked(
            "the image did not build, so there is no pod to run",
            hint=f"Make the check '{BUILD_TITLE}' pass first.",
        )
    objects = the_set(folder)
    doc = objects.of("Deployment")[0]
    pod, container = workloads.pod_spec(doc), workloads.containers(doc)[0]
    scratch = tmp_path_factory.mktemp("pod-volumes")
    made = pod_replay.settings(
        pod,
        container,
        list(folder.declared),
        docker_engine.image_user(engine, built.image),
        docker_engine.free_port,
        scratch,
    )
    found = Replay(made, built, spec=container, budget=pod_replay.liveness_budget(container))
    probe = (container.get("readinessProbe") or {}).get("httpGet")
    port = workloads.resolve_port(probe.get("port"), container) if isinstance(probe, dict) else None
    if made.refused or not isinstance(probe, dict) or port is None:
        found.problem = "; ".join(made.refused) or "no readinessProbe httpGet on a container port"
        return found
    found.probe, found.url = probe, f"http://127.0.0.1:{made.ports[port]}"
    start(engine, built.image, found)
    return found


def start(engine: Engine, image: str, found: Replay) -> None:
    """Create and start the container, then poll its readiness probe until it passes, the
    container stops, or READY_TIMEOUT passes."""
    from docker.errors import DockerException

    assert found.settings is not None
    options = {k: v for k, v in found.settings.options.items() if v is not None}
    try:
        found.container = engine.client.containers.create(image, labels=engine.labels, **options)
        found.container.start()
    except DockerException as exc:
        found.problem = f"the engine could not start the container: {exc}"
        return
    started = time.monotonic()
    path = str(found.probe.get("path") or "/")
    headers = {
        str(h.get("name")): str(h.get("value")) for h in found.probe.get("httpHeaders") or []
    }
    while time.monotonic() - started < READY_TIMEOUT:
        status, _ = http(found.url + path, headers=headers, timeout=5)
        if 200 <= status < 400:
            found.ready_after = time.monotonic() - started
            return
        now = docker_engine.state(found.container)
        if now.get("Status") in ("exited", "dead"):
            oom = " (OOMKilled: its memory limit is too small)" if now.get("OOMKilled") else ""
            found.problem = (
                f"the container stopped with exit status {now.get('ExitCode')}{oom}"
                f"; its last lines:\n{docker_engine.logs(found.container)}"
            )
            return
        time.sleep(0.5)
    found.problem = (
        f"GET {path} did not answer 2xx or 3xx within {READY_TIMEOUT:g} s (last: "
        f"{status}); its last lines:\n{docker_engine.logs(found.container)}"
    )


@pytest.fixture(scope="session")
def houses(held_out: HeldOut) -> list[House]:
    """Held-out houses (features only) for the prediction."""
    return [typed(row) for row in held_out.rows(HOLDOUT)[:HOUSES]]


def secret_names(folder: manifests.Folder) -> list[config_refs.Ref]:
    return [r for s in folder.sets for r in config_refs.refs(s) if r.kind == "Secret"]
