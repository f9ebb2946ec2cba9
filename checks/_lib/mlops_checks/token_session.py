"""The learner's API put through one session of requests with bearer tokens, then started
again with other secrets: what week 16 teaches (401 without a valid token, 403 without the
scope, 200 with both), run again by the weeks that serve the same API behind tokens (the
capstone, week 23).

Everything the learner wrote runs in their interpreter through `run` or `serve`, in fresh
copies of the week folder, with secrets the checks make up for the run (JWT_SECRET,
PSEUDONYM_KEY); tokens are minted with the standard library (``mlops_roadmap.tokens``). Each
request's log lines are kept apart, so that a check can read what the app logged for one
caller.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_checks.waits import ready_wait
from mlops_roadmap import tokens
from mlops_roadmap.checking import blocked

TRAIN_TIMEOUT = 240  # seconds for `python train.py` (the solution takes about 3)
START_TIMEOUT = ready_wait(60)  # seconds for GET /health to answer (the solution: about 3)
REQUEST_TIMEOUT = 15  # seconds for one request
SECRET_VARS = ("JWT_SECRET", "PSEUDONYM_KEY")
OUTPUTS = ("models", "logs", ".env")  # left out of the copies: the run makes them (or must not)
FIRST_START = "Make the check 'The API starts' pass first."


@dataclass(frozen=True)
class Person:
    name: str
    email: str  # as it is first written in the data (the case may vary between rows)

    @property
    def key(self) -> str:
        return self.email.strip().lower()


def week_env(**extra: str) -> dict[str, str]:
    """The environment the learner's code runs in: theirs, minus any secret of their own."""
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARS}
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1", **extra)
    return env


@dataclass(frozen=True)
class Call:
    """One request of the session: what was sent and why, and what came back."""

    name: str
    method: str
    path: str
    sent: str  # what the credentials were, in words
    expect: int
    token: str | None = None
    scheme: str = "Bearer"
    body: dict[str, Any] | None = None


@dataclass
class Reply:
    status: int  # 0: no answer
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""

    def json(self) -> Any:
        return json.loads(self.text)

    def describe(self) -> str:
        if self.status == 0:
            return f"no answer ({self.text})"
        if 200 <= self.status < 300:
            return f"HTTP {self.status}"  # the answer itself is not what went wrong
        text = " ".join(self.text.split())
        return f"HTTP {self.status} {text[:80] + '…' if len(text) > 80 else text}".rstrip()


@dataclass
class ApiSession:
    """The app started once in a fresh copy, and what it answered and logged."""

    folder: Path
    started: bool = False
    failure: str = ""  # why it did not start
    tail: str = ""
    url: str = ""
    calls: dict[str, Call] = field(default_factory=dict)
    replies: dict[str, Reply] = field(default_factory=dict)
    logs: str = ""  # the app's console output over the session
    slices: dict[str, str] = field(default_factory=dict)  # what it printed for each call
    written: dict[str, str] = field(default_factory=dict)  # text files it wrote in its folder
    people: list[Person] = field(default_factory=list)  # the callers named in the tokens
    tokens: list[str] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)  # the learner's interpreter
    houses: dict[str, Any] = field(default_factory=dict)  # the body of each prediction


def session_calls(secret: str, callers: list[Person], houses: dict[str, Any]) -> list[Call]:
    """The requests of the session, each with the status the lesson's API gives."""
    now = int(time.time())

    def token(person: Person, scope: str, **changes: Any) -> str:
        claims = {"sub": person.key, "name": person.name, "scope": scope, "iat": now}
        claims["exp"] = now + 900
        claims.update(changes)
        claims = {k: v for k, v in claims.items() if v is not None}
        return tokens.mint(claims, secret)

    c = iter(callers)
    first = next(c)
    good = token(first, "predict")
    forged = tokens.tampered(token(next(c), "reports:read"), {"sub": "x", "scope": "admin"})
    basic = tokens.b64url(b"analyst:hunter2")
    return [
        Call("predict/none", "POST", "/predict", "no Authorization header", 401, body=houses),
        Call("reload/none", "POST", "/admin/reload", "no Authorization header", 401),
        Call("predict/basic", "POST", "/predict", "Basic credentials, not a bearer token", 401,
             basic, "Basic", houses),
        Call("predict/garbage", "POST", "/predict", "a bearer token that is not a JWT", 401,
             "not-a-token", body=houses),
        Call("predict/wrong-secret", "POST", "/predict", "a token signed with another secret",
             401, tokens.mint({"sub": next(c).key, "scope": "predict", "exp": now + 900},
                                  secrets.token_urlsafe(32)), body=houses),
        Call("predict/expired", "POST", "/predict", "a token that expired 10 minutes ago", 401,
             token(next(c), "predict", iat=now - 4200, exp=now - 600), body=houses),
        Call("predict/alg-none", "POST", "/predict", 'an unsigned token ("alg": "none")', 401,
             tokens.mint({"sub": next(c).key, "scope": "predict admin", "exp": now + 900},
                             "", alg="none"), body=houses),
        Call("predict/no-exp", "POST", "/predict", "a token without an exp claim", 401,
             token(next(c), "predict", exp=None), body=houses),
        Call("predict/tampered", "POST", "/predict",
             "a token whose claims were changed after signing", 401, forged, body=houses),
        Call("predict/other-scope", "POST", "/predict", 'a valid token with scope "reports:read"',
             403, token(next(c), "reports:read"), body=houses),
        Call("predict/similar-scope", "POST", "/predict",
             'a valid token with scope "predictions:read"', 403,
             token(next(c), "predictions:read"), body=houses),
        Call("reload/predict-scope", "POST", "/admin/reload",
             'a valid token with scope "predict" (no admin)', 403, token(next(c), "predict")),
        Call("predict/no-sub", "POST", "/predict", "a token without a sub claim (no caller)", 401,
             token(next(c), "predict", sub=None), body=houses),
        Call("predict/valid", "POST", "/predict", 'a valid token with scope "predict"', 200,
             good, body=houses),
        Call("reload/valid", "POST", "/admin/reload", 'a valid token with scope "predict admin"',
             200, token(next(c), "predict admin")),
        # The audit log's callers: another caller's prediction, then the first caller's again.
        Call("predict/valid-other", "POST", "/predict", "a valid token of another caller", 200,
             token(next(c), "predict"), body=houses),
        Call("predict/valid-again", "POST", "/predict", "the first caller's valid token again",
             200, token(first, "predict"), body=houses),
    ]  # fmt: skip


def send(client: Any, base: str, call: Call) -> Reply:
    """One request; a refused connection or a timeout is an answer of status 0."""
    headers = {} if call.token is None else {"Authorization": f"{call.scheme} {call.token}"}
    try:
        answer = client.request(call.method, base + call.path, headers=headers, json=call.body)
    except Exception as exc:  # httpx.HTTPError and friends: the app died or hung
        return Reply(0, text=f"{type(exc).__name__}: {exc}")
    return Reply(answer.status_code, dict(answer.headers), answer.text)


def snapshot(folder: Path) -> dict[str, tuple[float, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_mtime, p.stat().st_size)
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def written_text(folder: Path, before: dict[str, tuple[float, int]]) -> dict[str, str]:
    """Text files that appeared or changed in ``folder`` since ``before`` (log files)."""
    out = {}
    for name, stamp in snapshot(folder).items():
        if before.get(name) == stamp or name.startswith("models/"):
            continue
        data = (folder / name).read_bytes()[:2_000_000]
        if b"\0" not in data[:8192]:
            out[name] = data.decode("utf-8", errors="replace")
    return out


class Outputs:
    """What the app printed (its log) and appended to text files in its folder since the last
    look, so that each request's lines can be kept apart."""

    def __init__(self, log: Path, folder: Path) -> None:
        self.log, self.folder = log, folder
        self.offsets = self.sizes()

    def sizes(self) -> dict[Path, int]:
        files = [self.log] + [
            p
            for p in self.folder.rglob("*")
            if not {"models", "data", "__pycache__"} & set(p.relative_to(self.folder).parts)
            and p.is_file()
        ]
        return {p: p.stat().st_size for p in files if p.exists()}

    def settled(self, wait: float = 0.5) -> dict[Path, int]:
        """The sizes once they stopped changing for two polls (lines written just after the
        answer went out belong to its request), waiting at most ``wait`` seconds."""
        before, deadline = self.sizes(), time.monotonic() + wait
        while time.monotonic() < deadline:
            time.sleep(0.03)
            now = self.sizes()
            if now == before:
                break
            before = now
        return before

    def new_text(self) -> str:
        sizes, parts = self.settled(), []
        for path, size in sizes.items():
            start = self.offsets.get(path, 0)
            start = 0 if size < start else start  # rewritten, not appended
            if size > start:
                with path.open("rb") as handle:
                    handle.seek(start)
                    data = handle.read(min(size - start, 1_000_000))
                if b"\0" not in data[:8192]:
                    parts.append(data.decode("utf-8", errors="replace"))
        self.offsets = sizes
        return "".join(parts)


def send_all(
    client: Any,
    api: ApiSession,
    server: Any,
    calls: list[Call],
    until: Callable[[Reply], bool] | None = None,
    budget: float = math.inf,
) -> None:
    """Send each call once (until a reply satisfies ``until``, for ``budget`` seconds at most),
    keeping the reply and the lines the app printed or wrote for it."""
    outputs = Outputs(server.log, api.folder)
    deadline = time.monotonic() + budget
    for call in calls:
        if not server.alive():
            api.replies[call.name] = Reply(0, text="the app had stopped running")
            continue
        reply = api.replies[call.name] = send(client, api.url, call)
        api.slices[call.name] = outputs.new_text()
        if (until and until(reply)) or time.monotonic() > deadline:
            return


def http_client() -> Any:
    import httpx

    # A fresh connection per request: an app that fails one request and drops its connection
    # must not make the next request fail too.
    limits = httpx.Limits(max_keepalive_connections=0)
    return httpx.Client(timeout=REQUEST_TIMEOUT, limits=limits)


def run_session(api: ApiSession, server: Any, callers: list[Person]) -> None:
    """Send every call once, then collect what the app logged and wrote."""
    secret = api.secrets["JWT_SECRET"]
    calls = session_calls(secret, callers, api.houses)
    api.calls = {c.name: c for c in calls}
    api.tokens = [c.token for c in calls if c.token and c.scheme == "Bearer"]
    with http_client() as client:
        send_all(client, api, server, calls)


def start_session(
    run: Callable[..., Any],
    serve: Callable[..., Any],
    folder: Path,
    learner_python: Path,
    made_up_secrets: dict[str, str],
    callers: list[Person],
    houses: dict[str, Any],
) -> ApiSession:
    """train.py, then the app under uvicorn, in ``folder`` (a fresh copy of the week folder),
    then the session of requests; the app is stopped before this returns (the `serve` fixture
    would stop it at the end anyway)."""
    from mlops_roadmap.servers import ServerFailed

    if importlib.util.find_spec("httpx") is None:
        blocked(
            "httpx, which the checks send their requests with, is not installed with the course",
            hint="pip install 'mlops-roadmap[learner]' (or pip install httpx) where "
            "mlops-roadmap is installed.",
        )
    session = ApiSession(folder, secrets=dict(made_up_secrets), command=[str(learner_python)])
    session.people, session.houses = list(callers), houses
    env = week_env(**made_up_secrets)
    if not (folder / "train.py").is_file():
        session.failure = "train.py is missing from the week folder, so there is no model"
        return session
    trained = run([learner_python, "train.py"], cwd=folder, env=env, timeout=TRAIN_TIMEOUT)
    if trained.returncode != 0 or trained.timed_out:
        what = "ran too long" if trained.timed_out else f"exited with {trained.returncode}"
        session.failure = f"`python train.py` {what}, so the app has no model"
        session.tail = trained.tail(12)
        return session
    before = snapshot(folder)
    command = [learner_python, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]
    try:
        server = serve([*command, "--port", "{port}"], cwd=folder, env=env, timeout=START_TIMEOUT)
    except ServerFailed as exc:
        session.failure = str(exc)
        session.tail = exc.tail
        return session
    session.started, session.url = True, server.url
    try:
        run_session(session, server, session.people)
        session.logs = server.log.read_text(encoding="utf-8", errors="replace")
    finally:
        server.stop()
    session.written = written_text(folder, before)
    return session


RESTART_BUDGET = 60  # seconds of requests to one restarted app


@dataclass
class Restart:
    """The app started once more in the session's folder with other secrets."""

    label: str  # what its environment held, in words
    started: bool = False
    failure: str = ""  # how it refused to start
    accepted: str = ""  # the first token it accepted, in words
    tried: int = 0  # tokens sent
    slices: dict[str, str] = field(default_factory=dict)
    replies: dict[str, Reply] = field(default_factory=dict)


def restart(serve: Callable[..., Any], api: ApiSession, restarted: Restart, env: dict[str, str],
            calls: list[Call], stop_on_accept: bool = False) -> Restart:  # fmt: skip
    """Start the app in the session's folder with ``env``, send ``calls`` (all, or until one is
    accepted, for RESTART_BUDGET seconds at most), stop it."""
    from mlops_roadmap.servers import ServerFailed

    command = [api.command[0], "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]
    try:
        server = serve([*command, "--port", "{port}"], cwd=api.folder, env=env,
                       timeout=START_TIMEOUT)  # fmt: skip
    except ServerFailed as exc:
        restarted.failure = cause(exc.tail) or str(exc)
        return restarted
    restarted.started = True
    shadow = ApiSession(api.folder, url=server.url)
    until = (lambda reply: 200 <= reply.status < 300) if stop_on_accept else None
    try:
        with http_client() as client:
            send_all(client, shadow, server, calls, until, RESTART_BUDGET)
    finally:
        server.stop()
    restarted.slices, restarted.replies = shadow.slices, shadow.replies
    restarted.tried = len(shadow.replies)
    by_name = {c.name: c for c in calls}
    accepted = [n for n, r in shadow.replies.items() if 200 <= r.status < 300]
    restarted.accepted = by_name[accepted[0]].sent if accepted else ""
    return restarted


ERROR_LINE = re.compile(r"^\s*[\w.]*(Error|Exception)\b.*:")


def cause(output: str) -> str:
    """The line of a failed start that says why (the last exception), else its last line."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ERROR_LINE.match(ln)]
    return (errors or lines or [""])[-1][:300]


def bearer(secret: str, scope: str = "predict admin", minutes: int = 60) -> dict[str, str]:
    """The Authorization header of a made-up caller holding ``scope``, signed with ``secret``:
    what a check sends when it asks an API behind tokens something else than who may call."""
    now = int(time.time())
    claims = {"sub": "checker@example.com", "scope": scope, "iat": now, "exp": now + 60 * minutes}
    return {"Authorization": f"Bearer {tokens.mint(claims, secret)}"}
