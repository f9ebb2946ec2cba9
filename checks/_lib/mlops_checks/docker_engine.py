"""A Docker engine as a check uses it: build an image from a folder, run a container, ask it over
loopback HTTP, and remove everything made, by label, whatever happened.

Everything made carries the labels ``mlops-roadmap.check=1`` and this run's
``mlops-roadmap.run=<id>``; ``Engine.cleanup`` (register it as a finaliser before making
anything) removes the run's containers, then its images and the layers their builds left.
The SDK is imported where it is used.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

CHECK_LABEL, RUN_LABEL = "mlops-roadmap.check", "mlops-roadmap.run"
API_TIMEOUT = 600  # a long RUN step may keep the engine silent
LOG_LINES = 15
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def quietly(action: Callable[[], Any]) -> Any:
    """A clean-up step: a failure (already gone, engine gone) must not stop the others."""
    try:
        return action()
    except Exception:
        return None


@dataclass
class Engine:
    client: Any  # docker.DockerClient
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def labels(self) -> dict[str, str]:
        return {CHECK_LABEL: "1", RUN_LABEL: self.run_id}

    def tag(self, kind: str) -> str:
        return f"mlops-roadmap-check/{kind}:{self.run_id}"

    def cleanup(self) -> None:
        """Remove this run's containers, images and build leftovers. Never raises."""
        api, mine = self.client.api, {"label": f"{RUN_LABEL}={self.run_id}"}
        for c in quietly(lambda: api.containers(all=True, filters=mine)) or []:
            quietly(partial(api.remove_container, c["Id"], force=True, v=True))
        for image in quietly(lambda: api.images(filters=mine)) or []:
            quietly(partial(api.remove_image, image["Id"], force=True))
        quietly(lambda: api.prune_images(filters={"dangling": True, "label": mine["label"]}))
        quietly(self.client.close)


def connect() -> tuple[Engine | None, str]:
    """An engine to use, or why there is none."""
    try:
        import docker
    except ImportError:
        return None, "the Docker SDK for Python is not installed (pip install docker)"
    try:
        client = docker.from_env(timeout=API_TIMEOUT)
        client.ping()
    except Exception as exc:  # a socket, TLS or API error: no engine to use
        return None, f"no Docker engine answers: {exc}"
    return Engine(client), ""


@dataclass(frozen=True)
class Build:
    image: str | None  # the image id, None when the build failed
    log: str  # the build's last lines
    error: str = ""
    seconds: float = 0.0


def build(engine: Engine, context: Path, kind: str, dockerfile: str = "Dockerfile") -> Build:
    """`docker build` of ``context`` with the classic builder, tagged for this run; once more
    when a cached layer vanished under it (another program pruned the engine's images)."""
    made = build_once(engine, context, kind, dockerfile)
    if made.image is None and "No such image" in made.error:
        return build_once(engine, context, kind, dockerfile)
    return made


def build_once(engine: Engine, context: Path, kind: str, dockerfile: str) -> Build:
    import requests
    from docker.errors import DockerException

    if not (context / dockerfile).is_file():
        return Build(None, "", f"there is no {dockerfile} in the week folder")
    lines: list[str] = []
    error, started = "", time.monotonic()
    try:
        stream = engine.client.api.build(
            path=str(context),
            dockerfile=dockerfile,
            tag=engine.tag(kind),
            labels=engine.labels,
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
        )
        for chunk in stream:
            if "stream" in chunk:
                lines += [ln for ln in str(chunk["stream"]).splitlines() if ln.strip()]
                lines = lines[-LOG_LINES:]
            elif "error" in chunk:
                error = str(chunk["error"]).strip()
    except (DockerException, requests.RequestException, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    seconds = time.monotonic() - started
    image = None if error else quietly(lambda: engine.client.api.inspect_image(engine.tag(kind)))
    return Build(image["Id"] if image else None, "\n".join(lines), error, seconds)


def image_user(engine: Engine, image: str) -> str:
    """The image's USER ("" for root by default)."""
    config = engine.client.api.inspect_image(image).get("Config") or {}
    return str(config.get("User") or "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http(
    url: str, payload: Any = None, headers: dict[str, str] | None = None, timeout: float = 10
) -> tuple[int, str]:
    """GET (or POST ``payload`` as JSON) on loopback: (status, body); status 0 when no answer."""
    data = None if payload is None else json.dumps(payload).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=data, headers=sent)
    try:
        with NO_PROXY.open(request, timeout=timeout) as answer:
            return answer.status, answer.read(1_000_000).decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(2_000).decode("utf-8", errors="replace")
    except OSError as exc:  # refused, reset while the server starts, timed out
        return 0, str(exc)


def logs(container: Any, lines: int = LOG_LINES) -> str:
    text = quietly(lambda: container.logs(tail=lines).decode("utf-8", errors="replace"))
    return (text or "").strip() or "(no output)"


def state(container: Any) -> dict[str, Any]:
    """The container's State (Status, ExitCode, OOMKilled), fresh from the engine."""
    quietly(container.reload)
    found: dict[str, Any] = container.attrs.get("State") or {}
    return found
