"""Shared fixtures for the weeks whose API serves behind bearer tokens (16, and the capstone,
23): the app trained and started once in a fresh copy, put through week 16's session of requests
with tokens minted for the run, then started again without a real JWT_SECRET.

A week opts in with ``pytest_plugins = ["mlops_checks.token_fixtures"]``; it may override
``token_callers`` (who the tokens name) and ``token_houses`` (the body of each prediction). Every
start is stopped as soon as its requests are over, so the later checks find nothing running.
"""

from __future__ import annotations

import ast
import json
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import api as api_module
from mlops_checks.token_session import (
    FIRST_START,
    OUTPUTS,
    ApiSession,
    Call,
    Person,
    Restart,
    restart,
    start_session,
    week_env,
)
from mlops_roadmap import tokens
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import CleanCopy, Run, Serve

MARKER = "TOKEN-CHECK-JSON:"
PROBE_TIMEOUT = 120
CALLERS = 12  # made-up callers named in the session's tokens
PREDICT_PROBE = """
import json, sys
import joblib
import pandas as pd
model = joblib.load(sys.argv[1])
with open(sys.argv[2], encoding="utf-8") as handle:
    frame = pd.DataFrame(json.load(handle)["houses"])
print(sys.argv[3] + json.dumps([float(v) for v in model.predict(frame)]))
"""


@pytest.fixture(scope="session")
def made_up_secrets() -> dict[str, str]:
    """Fresh secrets for this run: the learner's app must take them from the environment."""
    return {"JWT_SECRET": secrets.token_urlsafe(32), "PSEUDONYM_KEY": secrets.token_hex(32)}


@pytest.fixture(scope="session")
def token_callers() -> list[Person]:
    """The people the session's tokens name (made up: the e-mail domain is reserved)."""
    return [Person(f"Caller {n}", f"caller{n}@example.com") for n in range(1, CALLERS + 1)]


@pytest.fixture(scope="session")
def token_houses() -> dict[str, Any]:
    """The body of each prediction of the session: the library's eight sample houses."""
    return {"houses": api_module.sample_houses()}


@pytest.fixture(scope="session")
def api(
    run: Run,
    serve: Serve,
    clean_copy: CleanCopy,
    learner_python: Path,
    made_up_secrets: dict[str, str],
    token_callers: list[Person],
    token_houses: dict[str, Any],
) -> ApiSession:
    """train.py, then the app under uvicorn, then the session of requests, in a fresh copy of
    the week folder; the app is stopped before this returns."""
    folder = clean_copy(*OUTPUTS)
    return start_session(
        run, serve, folder, learner_python, made_up_secrets, token_callers, token_houses
    )


@pytest.fixture(scope="session")
def live_api(api: ApiSession) -> ApiSession:
    """The session, or the check is blocked because the app never answered."""
    if not api.started:
        blocked("the API did not start, so it could not be asked anything", hint=FIRST_START)
    return api


@pytest.fixture(scope="session")
def token_predictions(
    live_api: ApiSession,
    run: Callable[..., Any],
    learner_python: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> list[float] | str:
    """What models/linear.joblib itself predicts for the houses sent, or why it could not."""
    path = tmp_path_factory.mktemp("token-houses") / "houses.json"
    path.write_text(json.dumps(live_api.houses), encoding="utf-8")
    result = run(
        [learner_python, "-c", PREDICT_PROBE, "models/linear.joblib", path, MARKER],
        cwd=live_api.folder,
        timeout=PROBE_TIMEOUT,
    )
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(MARKER)]
    if not lines:
        return f"loading models/linear.joblib with joblib failed: {result.tail(4)}"
    return [float(v) for v in json.loads(lines[-1][len(MARKER) :])]


SHORT_SECRET_LENGTH = 8  # far below the lesson's 32 characters (RFC 7518: 256 bits for HS256)
MAX_CANDIDATES = 300  # string literals of the learner's code tried as signing secrets
SKIP_PARTS = {".venv", "venv", "__pycache__", ".git", "data", "models", "logs"}


def code_literals(folder: Path) -> list[tuple[str, str]]:
    """(value, where) for each distinct string literal of the folder's Python code: the values a
    hard-coded secret could have, wherever and however it is written."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.py")):
        relative = path.relative_to(folder)
        if SKIP_PARTS & set(relative.parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            value = node.value if isinstance(node, ast.Constant) else None
            if isinstance(value, str) and 0 < len(value) <= 200 and "\n" not in value:
                found.setdefault(value, f"{relative.as_posix()}:{getattr(node, 'lineno', 1)}")
    return list(found.items())[:MAX_CANDIDATES]


def forged_calls(api: ApiSession, candidates: list[tuple[str, str]]) -> list[Call]:
    """POST /predict with a `predict admin` token signed with each candidate secret."""
    now, person = int(time.time()), api.people[0]
    claims = {"sub": person.key, "scope": "predict admin", "iat": now, "exp": now + 900}
    body = api.houses
    return [
        Call(f"forged/{i}", "POST", "/predict", how, 200, tokens.mint(claims, value), body=body)
        for i, (value, how) in enumerate(candidates)
    ]


@pytest.fixture(scope="module")
def without_secret(live_api: ApiSession, serve: Callable[..., Any]) -> list[Restart]:
    """The app started without JWT_SECRET, with it empty, and with 8 characters: each start
    must fail, or answer no token signed with the secret it was given or with any string of
    the code (a hard-coded fallback, however it is written)."""
    literals = [
        (value, f"the string {redact(value)} from {where}")
        for value, where in code_literals(live_api.folder)
    ]
    short = secrets.token_urlsafe(16)[:SHORT_SECRET_LENGTH]
    key = live_api.secrets["PSEUDONYM_KEY"]
    # First a secret nobody knows: an app that takes it checks no signature at all.
    unknown = (secrets.token_urlsafe(32), "a random secret (the app checks no signature)")
    cases = [
        ("JWT_SECRET not set", week_env(PSEUDONYM_KEY=key), [unknown, ("", "the empty secret")]),
        ("JWT_SECRET set to an empty string", week_env(JWT_SECRET="", PSEUDONYM_KEY=key),
         [unknown, ("", "the empty secret")]),
        (f"JWT_SECRET set to {SHORT_SECRET_LENGTH} random characters",
         week_env(JWT_SECRET=short, PSEUDONYM_KEY=key),
         [unknown, (short, f"that {SHORT_SECRET_LENGTH}-character JWT_SECRET")]),
    ]  # fmt: skip
    return [
        restart(serve, live_api, Restart(label), env, forged_calls(live_api, own + literals), True)
        for label, env, own in cases
    ]


def redact(value: str) -> str:
    """A code string as a message shows it: enough to find it, not the whole of a secret."""
    shown = value if len(value) <= 6 else value[:4] + "…"
    return f"{shown!r} ({len(value)} characters)"
