"""Week 16: no secret in the files git would commit or in their history, the app needs a real
JWT_SECRET, and bandit is clean.

The secret scanner (``mlops_checks.secret_scan``) reads the files of the week folder that git
tracks or would add (git-ignored files such as .env are the right place for local secrets) and
the lines every commit added to the folder. A hard-coded secret is also looked for by what the
app does (the `without_secret` fixture): started without JWT_SECRET, with an empty one and
with a short one, it must refuse to start, or accept no token signed with the secret it was
given or with any string of its code. bandit runs in a subprocess on the folder's code.
"""

from __future__ import annotations

import ast
import json
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ApiSession, Call, Restart, houses_payload, restart, week_env

from mlops_checks.committed import SKIP_DIRS, scan_committed
from mlops_roadmap import tokens
from mlops_roadmap.checking import blocked, expect, fail

BANDIT_TIMEOUT = 180  # the solution's folder takes about 1 s
# Room for the API's session (train.py, a start, the requests) and three more starts.
pytestmark = pytest.mark.timeout(900)


@pytest.mark.points(2)
@pytest.mark.requires("git")
@pytest.mark.hint("Read secrets with os.environ['NAME']; keep local values in a git-ignored .env.")
def test_no_secrets_in_the_week_folder(run: Callable[..., Any], week_dir: Path) -> None:
    """A secret scan of the week folder and its git history finds nothing"""
    findings = scan_committed(run, week_dir)
    expect(
        not findings,
        expected="no credential, password or token literal, random-looking key, or hard-coded "
        "fallback secret in the files git would commit from the week folder, nor in any "
        "commit's changes to it",
        found="; ".join(str(f) for f in findings[:6])
        + (f"; and {len(findings) - 6} more" if len(findings) > 6 else ""),
        hint="Read every secret from the environment with no default (os.environ['JWT_SECRET'], "
        "failing when it is missing), keep local values in .env and list .env in .gitignore. "
        "A secret that was ever committed is leaked: rotate it, then rewrite the history "
        "(git filter-repo). A test-only value can carry `# pragma: allowlist secret`.",
    )


# -- the app started without a real secret ---------------------------------------------------------

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
    body = houses_payload()
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


@pytest.mark.points(2)
@pytest.mark.hint("jwt_secret(): os.environ['JWT_SECRET'], 32 characters at least, at start-up.")
def test_app_needs_a_real_secret(
    without_secret: list[Restart], record_property: Callable[[str, object], None]
) -> None:
    """A missing, empty or 8-character JWT_SECRET stops the app, or it accepts no token at all"""
    problems = []
    for restarted in without_secret:
        if not restarted.started:
            record_property(restarted.label, f"refused to start ({restarted.failure})")
        elif restarted.accepted:
            problems.append(
                f"with {restarted.label}, the app started and accepted a token signed with "
                f"{restarted.accepted}"
            )
        else:
            record_property(restarted.label, f"started; refused all {restarted.tried} tokens")
    expect(
        not problems,
        expected="the app to refuse to start without a real JWT_SECRET (unset, empty, or "
        "shorter than 32 characters), or at least to accept no token then: not one signed with "
        "the secret it was given, nor with any string written in its code",
        found="; ".join(problems),
        hint=secret_hint(problems),
    )


def secret_hint(problems: list[str]) -> str:
    """The hint for the fault found: no signature check, a fallback in the code, or no length
    check."""
    if any("checks no signature" in p for p in problems):
        return (
            "Verify every token's signature: jwt.decode(token, jwt_secret(), "
            "algorithms=['HS256'], options={'require': ['exp', 'sub']}), never "
            "verify_signature=False; and refuse to start without a JWT_SECRET of 32 characters."
        )
    if any("from " in p and "the string" in p for p in problems):
        return (
            "That string is a hard-coded fallback secret: anyone who reads the code can sign "
            "tokens. Read os.environ['JWT_SECRET'] with no default (no `or \"...\"`, no "
            "`if ... else`, no settings default) and raise at start-up when it is missing or "
            "shorter than 32 characters."
        )
    return (
        "Refuse a JWT_SECRET shorter than 32 characters (RFC 7518: an HS256 key has 256 bits) "
        "when the app starts: raise RuntimeError in jwt_secret() and call it in the lifespan."
    )


def bandit_command(run: Callable[..., Any], learner_python: Path) -> list[str]:
    """bandit from the learner's environment, else from the course's, else blocked."""
    for python in (str(learner_python), sys.executable):
        probe = run([python, "-m", "bandit", "--version"], timeout=60)
        if probe.returncode == 0:
            return [python, "-m", "bandit"]
    blocked(
        "bandit is not installed in the workspace virtual environment",
        hint="Install the week's requirements: `.venv/bin/pip install -r "
        "<week folder>/requirements.txt` (it lists bandit).",
    )


@pytest.mark.points(1)
@pytest.mark.hint("Run `bandit -r . -x ./.venv` in the week folder and fix every HIGH issue.")
def test_bandit_finds_no_high_severity_issue(
    run: Callable[..., Any], learner_python: Path, week_dir: Path
) -> None:
    """bandit finds no high-severity issue in the week folder's code"""
    excluded = ",".join(f"./{d}" for d in sorted(SKIP_DIRS))
    command = [*bandit_command(run, learner_python), "-r", ".", "-f", "json", "-q", "-x", excluded]
    result = run(command, cwd=week_dir, timeout=BANDIT_TIMEOUT)
    try:
        report = json.loads(result.stdout)
        issues = report["results"]
    except (ValueError, KeyError, TypeError):
        fail(
            expected="bandit to scan the week folder and print its JSON report",
            found=f"exit status {result.returncode}: {result.tail(6)}",
            hint="Run `bandit -r . -x ./.venv` yourself in the week folder.",
        )
    high = [i for i in issues if str(i.get("issue_severity", "")).upper() == "HIGH"]
    expect(
        not high,
        expected="no HIGH severity issue from `bandit -r .` in the week folder",
        found="; ".join(
            f"{Path(i['filename']).as_posix().removeprefix('./')}:{i['line_number']} "
            f"{i['test_id']} {i['issue_text']}"
            for i in high[:5]
        ),
        hint="Fix what bandit reports (its more_info link explains each issue). MD5 or SHA-1 "
        "for security is B324: use hmac with hashlib.sha256 and a key instead. Silence a "
        "real false positive with `# nosec B<id>` and say why on that line.",
    )
