"""Serving a registered MLflow model over HTTP, and asking it for predictions.

The check's own server is `python -m mlflow models serve -m models:/NAME@champion
--env-manager local` in the learner's interpreter, on a free loopback port, started by the
engine's ``servers.start`` (ready once GET /ping answers 200; its whole process group stopped on
the way out, also on failure, timeout and Ctrl-C). MLflow starts it with the command `uvicorn`
from PATH: a one-line `uvicorn` script in a temporary folder, first on PATH, runs `python -m
uvicorn` with that same interpreter, wherever uvicorn's own script was installed. Nothing here
imports MLflow.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_roadmap import servers

START_TIMEOUT = 150  # seconds for `mlflow models serve` to answer /ping (about 10-15 here)
PING_TIMEOUT = 5
REQUEST_TIMEOUT = 60
TARGET = "price"
BAD_PAYLOAD = b'{"rows": [[1656, 31770, 6]]}'  # none of dataframe_split/records, instances, inputs
IN_USE = servers.IN_USE
ERROR_LINE = re.compile(r"^(ERROR:|([A-Za-z_][\w.]*)?(Error|Exception)\b[^:]*:)")
WRAPPER = "returned non zero return code"  # MLflow's own wrapper around uvicorn's exit
SERVE_OPTIONS = ("--env-manager", "local", "-h", "127.0.0.1", "-p")  # then the port


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: its status (0 when there was none) and its body."""

    status: int
    body: str


@dataclass(frozen=True)
class Served:
    """What the served model answered, or why it could not be asked."""

    url: str
    origin: str  # who started the server, for messages
    error: str = ""
    blocked: bool = False
    hint: str = ""
    good: Answer | None = None  # the answer to the table's rows
    bad: Answer | None = None  # the answer to BAD_PAYLOAD


def request(url: str, body: bytes | None = None, timeout: float = REQUEST_TIMEOUT) -> Answer:
    """GET (no body) or POST JSON; an HTTP error is an answer, no connection is status 0."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data=body, headers=headers), timeout=timeout
        ) as answer:
            return Answer(answer.status, answer.read().decode(errors="replace"))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read().decode(errors="replace"))
    except (urllib.error.URLError, OSError) as exc:
        return Answer(0, str(getattr(exc, "reason", exc)))


def cell(text: str) -> Any:
    """A CSV value as JSON would carry it: integer, float or text."""
    for kind in (int, float):
        with contextlib.suppress(ValueError):
            return kind(text)
    return text


def table_payload(path: Path) -> tuple[bytes, int]:
    """The feature rows of a CSV file as a dataframe_split request, and how many rows."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = [c for c in rows[0] if c != TARGET]
    data = [[cell(row[c]) for c in columns] for row in rows]
    body = {"dataframe_split": {"columns": columns, "data": data}}
    return json.dumps(body).encode(), len(data)


def ask(url: str, payload: bytes) -> tuple[Answer, Answer]:
    return request(f"{url}/invocations", payload), request(f"{url}/invocations", BAD_PAYLOAD)


def uvicorn_shim(python: Path, folder: Path) -> Path:
    """A folder whose `uvicorn` runs uvicorn with ``python`` (MLflow calls it from PATH)."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "uvicorn"
    script.write_text(f'#!/bin/sh\nexec "{python}" -m uvicorn "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return folder


def server_error(log: Path) -> str:
    """The first error line in a server's log (the cause, not the tracebacks around it), else
    its last lines."""
    return output_error(log.read_text(encoding="utf-8", errors="replace") if log.is_file() else "")


def output_error(text: str) -> str:
    kept = [ln.strip() for ln in text.splitlines() if ln.strip() and "Downloading" not in ln]
    errors = [ln for ln in kept if ERROR_LINE.match(ln) and WRAPPER not in ln]
    return (errors[0][:500] if errors else "\n".join(kept[-4:])) or "(no output)"


def serve_and_ask(
    python: Path,
    env: dict[str, str],
    model_uri: str,
    workdir: Path,
    payload: bytes,
    port: int | None = None,
    timeout: float = START_TIMEOUT,
) -> Served:
    """Serve ``model_uri``, ask it, stop it. A free port is picked unless one is given (and a
    second one when another program takes the first before the server binds it)."""
    origin = "`mlflow models serve` started by the check"
    shim = uvicorn_shim(python, workdir / "bin")
    path = os.pathsep.join([str(shim), str(python.parent), env.get("PATH", os.defpath)])
    argv = [str(python), "-m", "mlflow", "models", "serve", "-m", model_uri, *SERVE_OPTIONS]
    try:
        server = servers.start(
            [*argv, "{port}"],
            ready=servers.answers("/ping", 200),
            cwd=workdir,
            env={**env, "PATH": path},
            timeout=timeout,
            port=port,
        )
    except servers.ServerFailed as failed:
        error, hint = _why(failed, model_uri, timeout)
        return Served(failed.url or f"http://127.0.0.1:{port or 0}", origin, error=error, hint=hint)
    try:
        good, bad = ask(server.url, payload)
    finally:
        server.stop()
    return Served(server.url, origin, good=good, bad=bad)


def _why(failed: servers.ServerFailed, model_uri: str, timeout: float) -> tuple[str, str]:
    """The error and hint for a server that never answered."""
    if not failed.url:  # it could not even be started
        hint = "Make the check 'The week's libraries import' pass first."
        return str(failed), hint
    cause = output_error(failed.output)
    if failed.returncode is None:
        error = f"`mlflow models serve` did not answer {failed.url}/ping within {timeout:g} s"
    else:
        error = f"`mlflow models serve` exited (status {failed.returncode}) before answering"
    if IN_USE in cause.lower():
        port = failed.url.rsplit(":", 1)[-1]
        hint = f"Port {port} was taken by another program: free it, or run the check again."
        return f"{error}: {cause}", hint
    return (
        f"{error}: {cause}",
        f'Run it yourself after `source env.sh`: `mlflow models serve -m "{model_uri}" '
        "-p 5001 --env-manager local`, and fix the first error it shows.",
    )


def ask_running(url: str, origin: str, payload: bytes, model_uri: str) -> Served:
    """Ask the learner's own server (SERVING_URL in env.sh)."""
    ping = request(f"{url}/ping", timeout=PING_TIMEOUT)
    port = url.rsplit(":", 1)[-1].strip("/")
    if ping.status == 0:
        return Served(
            url,
            origin,
            error=f"nothing answers at {url} ({ping.body})",
            blocked=True,
            hint=f'Start it after `source env.sh`: `mlflow models serve -m "{model_uri}" -p '
            f"{port} --env-manager local`, or comment SERVING_URL out in env.sh so that the "
            "check starts its own server.",
        )
    if ping.status != 200:
        return Served(
            url,
            origin,
            error=f"GET {url}/ping answered HTTP {ping.status}, so it is not an MLflow model "
            "server (is another program using that port?)",
            hint="Serve the champion on a free port and point SERVING_URL at it, or comment "
            "SERVING_URL out in env.sh so that the check starts its own server.",
        )
    good, bad = ask(url, payload)
    return Served(url, origin, good=good, bad=bad)
