"""Week 11 fixtures: the learner's API trained and started once, with a canary secret in its
environment, and one session of requests whose log lines the checks then read.

The app is trained and started by week 9's api_under_test.py (the same steps, the same debug
route), with MODEL_REGISTRY_TOKEN set to a canary the logs must never show. Everything the app
writes to stdout and stderr goes to the server's log file, which the checks read whole.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

CHECKS_DIR = Path(__file__).resolve().parent
SECRET_ENV = "MODEL_REGISTRY_TOKEN"
LOG_WAIT = 5.0  # seconds at most to wait for the session's lines to reach the log
SETTLED = 0.5  # the log counts as complete once it has not grown for this long


def _load(name: str, path: Path) -> ModuleType:
    """A module by path, under a name of its own (importlib mode adds no path)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


under_test = _load("week11_api_under_test", CHECKS_DIR.parent / "week09" / "api_under_test.py")
alerting_module = _load("week11_alerting", CHECKS_DIR / "alerting.py")


@dataclass(frozen=True)
class Sent:
    """One request of the session: what was sent and what came back."""

    method: str
    path: str
    request_id: str | None  # the X-Request-ID sent, None when none was
    status: int
    echoed: str | None  # the X-Request-ID answered
    body: str


@dataclass
class LogSession:
    canaries: dict[str, str]  # what -> the value that must never reach the logs
    number_canary: str  # a value sent as a number: matched as a whole number
    sent: dict[str, Sent] = field(default_factory=dict)
    text: str = ""  # everything the app wrote to stdout and stderr, start-up included

    @property
    def lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()]

    def records(self) -> list[dict[str, Any]]:
        """The lines that are JSON objects."""
        out = []
        for line in self.lines:
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                out.append(value)
        return out


@pytest.fixture(scope="session")
def api() -> ModuleType:
    return under_test


@pytest.fixture(scope="session")
def alerting() -> ModuleType:
    return alerting_module


@pytest.fixture(scope="session")
def secret() -> str:
    return f"canary-secret-{uuid.uuid4().hex}"


@pytest.fixture(scope="session")
def app_run(
    run: Callable[..., Any],
    serve: Callable[..., Any],
    clean_copy: Callable[..., Path],
    learner_python: Path,
    secret: str,
) -> Any:
    """train.py, then the app under uvicorn with the canary secret in its environment."""
    return under_test.launch(run, serve, clean_copy, learner_python, env={SECRET_ENV: secret})


@pytest.fixture(scope="session")
def http(app_run: Any) -> Iterator[Any]:
    client = under_test.Http(under_test.require_server(app_run))
    try:
        yield client
    finally:
        client.close()


def _send(http: Any, method: str, path: str, rid: str | None, **kwargs: Any) -> Sent:
    headers = {"X-Request-ID": rid} if rid else {}
    answer = http.request(method, path, headers=headers, **kwargs)
    return Sent(
        method, path, rid, answer.status_code, answer.headers.get("X-Request-ID"), answer.text
    )


def read_settled(log: Path, last: str) -> str:
    """The server's log once the session's lines are in: once the last request's id shows
    and the file has stopped growing (or it stopped growing without it, or LOG_WAIT ran out).

    Output is unbuffered (PYTHONUNBUFFERED=1) and an access line is written before its answer
    is sent, so this is quick; the wait covers apps that log after answering."""
    deadline, size, still_since = time.monotonic() + LOG_WAIT, -1, time.monotonic()
    while time.monotonic() < deadline:
        now = log.stat().st_size if log.exists() else 0
        if now != size:
            size, still_since = now, time.monotonic()
        elif time.monotonic() - still_since >= (0.1 if last in text(log) else SETTLED):
            break
        time.sleep(0.05)
    return text(log)


def text(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""


@pytest.fixture(scope="session")
def log_session(app_run: Any, http: Any, secret: str) -> LogSession:
    """A valid and an invalid prediction, an internal error, an unknown path (each with an
    X-Request-ID) and two health checks without one; then the whole log."""
    tag = uuid.uuid4().hex[:10]
    house = {**under_test.sample_houses()[0], "lot_area": 97531}
    session = LogSession(
        canaries={
            f"the secret in ${SECRET_ENV}": secret,
            "a neighborhood sent in an invalid request": f"canary-place-{tag}",
            "an unexpected field's value": f"canary-{tag}@example.com",
        },
        number_canary="97531",
    )
    bad_house = {
        **house,
        "neighborhood": f"canary-place-{tag}",
        "owner_email": f"canary-{tag}@example.com",
    }
    session.sent["valid"] = _send(
        http, "POST", "/predict", f"check-valid-{tag}", json={"houses": [house]}
    )
    session.sent["invalid"] = _send(
        http, "POST", "/predict", f"check-invalid-{tag}", json={"houses": [bad_house]}
    )
    session.sent["error"] = _send(http, "GET", under_test.ERROR_ROUTE, f"check-error-{tag}")
    session.sent["unknown"] = _send(http, "GET", f"/no-such-page-{tag}", f"check-unknown-{tag}")
    session.sent["no-id-1"] = _send(http, "GET", "/health", None)
    session.sent["no-id-2"] = _send(http, "GET", "/health", None)
    session.text = read_settled(app_run.server.log, f"check-unknown-{tag}")
    return session
