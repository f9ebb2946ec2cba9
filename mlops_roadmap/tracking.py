"""Where a learner's MLflow tracking store is, and whether it can be read.

The learner declares the store in env.sh, the file they source in every terminal of the week
(`export MLFLOW_TRACKING_URI=...`); without it the store is sqlite:///mlflow.db in the week
folder. Nothing here imports MLflow: a SQLite file is looked for, a server is asked GET
/health, and the probes that do import MLflow run in the learner's interpreter.
"""

from __future__ import annotations

import json
import os
import re
import string
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ENV_FILE = "env.sh"
DEFAULT_URI = "sqlite:///mlflow.db"
HEALTH_TIMEOUT = 5  # seconds for a tracking server's GET /health
ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
# What every MLflow probe runs with: no telemetry (no network here), and a server that dies
# mid-probe fails fast instead of being retried for minutes.
MLFLOW_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
    "MLFLOW_ALLOW_FILE_STORE": "true",
    "PYTHONDONTWRITEBYTECODE": "1",
}


@dataclass(frozen=True)
class Store:
    """The tracking store the learner declared, as MLflow is given it."""

    uri: str  # relative SQLite and file paths made absolute (against the week folder)
    declared: str  # as the learner wrote it, or the default
    origin: str  # where it was declared, for messages
    kind: str  # "sqlite", "file", "server" or "other"
    path: Path | None = None  # the database file or store folder, for local stores
    problem: str = ""  # env.sh could not be read


@dataclass(frozen=True)
class Problem:
    """Why the store cannot be inspected: blocked (a server is down) or failed."""

    blocked: bool
    found: str
    hint: str


def unquote(raw: str) -> str:
    """The value of a shell assignment's right-hand side (quotes and a trailing comment gone)."""
    raw = raw.strip()
    if raw[:1] in {'"', "'"}:
        end = raw.find(raw[0], 1)
        return raw[1:end] if end > 0 else raw[1:]
    return raw.split(" #", 1)[0].strip()


def read_env_file(week_dir: Path) -> dict[str, tuple[str, int]]:
    """NAME -> (value, line number) for each plain assignment in env.sh; the last one wins."""
    path = week_dir / ENV_FILE
    if not path.is_file():
        return {}
    found: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = ASSIGNMENT.match(line)
        if match:
            found[match.group(1)] = (unquote(match.group(2)), number)
    return found


def env_value(week_dir: Path, name: str) -> tuple[str, str, str] | None:
    """(value, as written, origin) of ``name`` in env.sh, expanded as `source env.sh` would;
    None when it is not set there. A value still holding `$` could not be expanded."""
    assignments = read_env_file(week_dir)
    if not assignments.get(name, ("", 0))[0]:
        return None
    raw, line = assignments.pop(name)
    # In the week folder the shell expands $PWD, env.sh's own and exported variables.
    names = {**os.environ, **{k: v for k, (v, _) in assignments.items()}, "PWD": str(week_dir)}
    return string.Template(raw).safe_substitute(names), raw, f"{ENV_FILE} line {line}"


def local_path(text: str, week_dir: Path) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else week_dir / path


def resolve(declared: str, origin: str, week_dir: Path) -> Store:
    """The store a URI names, with relative paths taken from the week folder."""
    if declared.startswith("sqlite:///"):
        path = local_path(declared[len("sqlite:///") :], week_dir)
        return Store(f"sqlite:///{path}", declared, origin, "sqlite", path)
    if declared.startswith(("http://", "https://")):
        return Store(declared.rstrip("/"), declared, origin, "server")
    if declared.startswith("file:") or "://" not in declared:
        path = local_path(re.sub(r"^file:(//)?", "", declared), week_dir)
        return Store(path.as_uri(), declared, origin, "file", path)
    return Store(declared, declared, origin, "other")


def declared_store(week_dir: Path) -> Store:
    """MLFLOW_TRACKING_URI from env.sh, else the default SQLite file in the week folder."""
    value = env_value(week_dir, "MLFLOW_TRACKING_URI")
    if value is None:
        origin = f"the default (no MLFLOW_TRACKING_URI in {ENV_FILE})"
        return resolve(DEFAULT_URI, origin, week_dir)
    text, raw, origin = value
    if "$" in text or "`" in text:
        problem = f"{origin} sets MLFLOW_TRACKING_URI={raw}, which needs a shell to expand"
        return Store(raw, raw, origin, "other", problem=problem)
    return replace(resolve(text, origin, week_dir), declared=raw)


def server_answers(uri: str) -> str:
    """'' when an MLflow tracking server answers GET /health, else what happened instead."""
    try:
        with urllib.request.urlopen(f"{uri}/health", timeout=HEALTH_TIMEOUT) as answer:
            body = answer.read(200).decode(errors="replace").strip()
            return "" if answer.status == 200 else f"/health answered {answer.status}: {body}"
    except urllib.error.HTTPError as exc:
        return f"/health answered HTTP {exc.code}, so it is not an MLflow tracking server"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"nothing answers at {uri} ({reason})"


def server_command(uri: str) -> str:
    """The command that starts a tracking server at ``uri`` (SQLite backend, one worker)."""
    port = urllib.parse.urlsplit(uri).port or 5000
    return (
        "mlflow server --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 "
        f"--port {port} --workers 1"
    )


def store_problem(store: Store) -> Problem | None:
    """Why the declared store cannot be read (None when it can). Never opens it with MLflow,
    which would create an empty database where the learner's should be."""
    fix_env = f"fix or comment out MLFLOW_TRACKING_URI in {ENV_FILE}"
    if store.problem:
        return Problem(False, store.problem, f"Write the URI itself, e.g. {DEFAULT_URI}.")
    if store.kind in {"sqlite", "file"} and store.path is not None and not store.path.exists():
        what = "database file" if store.kind == "sqlite" else "folder"
        return Problem(
            False,
            f"no {what} at {store.path}",
            "Finish the TODOs in train.py and run it from the week folder (after "
            f"`source env.sh`) to create it, or {fix_env} if your runs are elsewhere.",
        )
    if store.kind == "server":
        down = server_answers(store.uri)
        if down:
            return Problem(
                True,
                f"the tracking server {store.uri} ({store.origin}) is not reachable: {down}",
                f"Start it in another terminal (`{server_command(store.uri)}`) and wait until "
                f"{store.uri}/health answers OK (30-60 s), or {fix_env} to use {DEFAULT_URI}.",
            )
    return None


def probe_env(store_uri: str, **extra: str) -> dict[str, str]:
    """The environment an MLflow probe (or the learner's script) runs with, on ``store_uri``."""
    return {**os.environ, **MLFLOW_ENV, "MLFLOW_TRACKING_URI": store_uri, **extra}


def parse_probe(stdout: str, marker: str) -> dict[str, Any] | None:
    """The JSON a probe printed after ``marker`` (its last such line), or None."""
    lines = [ln for ln in stdout.splitlines() if ln.startswith(marker)]
    return json.loads(lines[-1][len(marker) :]) if lines else None
