"""Week 16: the API authenticates (401), authorises (403), serves (200), logs no secrets, and
names callers in its audit log by a keyed pseudonym.

The `api` fixture (conftest.py) trained the model and started the app once, with a JWT_SECRET
and a PSEUDONYM_KEY made up for this run, sent it one session of requests with tokens minted
here, and stopped it; these checks read what it answered and what it logged, request by
request. The `rekeyed` fixture started it once more with another PSEUDONYM_KEY.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from conftest import MIN_PSEUDONYM, plain_hashes, unkeyed

from mlops_checks import token_checks
from mlops_checks.token_checks import AUDITED, wrong_statuses
from mlops_checks.token_session import Call, Restart, restart, week_env
from mlops_roadmap.checking import blocked, expect_none, fail

if TYPE_CHECKING:
    from mlops_checks.token_session import ApiSession, Person

ID_WORD = re.compile(rf"[A-Za-z0-9+/=_-]{{{MIN_PSEUDONYM},}}")
# Room for train.py (240 s at most), the start (60 s), 17 requests (15 s each at most), and a
# second start.
pytestmark = pytest.mark.timeout(900)


@pytest.mark.points(1)
@pytest.mark.hint("Run `python train.py`, then `uvicorn app.main:app` with the secrets set.")
def test_app_starts(api: ApiSession) -> None:
    """The API starts under uvicorn with JWT_SECRET and PSEUDONYM_KEY from the environment"""
    if api.started:
        return
    fail(
        expected="`python train.py`, then `python -m uvicorn app.main:app --host 127.0.0.1` "
        "in a fresh copy of the week folder to answer GET /health",
        found=api.failure + (f"; its last lines:\n{api.tail}" if api.tail else ""),
        hint="From the week folder, with JWT_SECRET and PSEUDONYM_KEY set (see .env.example): "
        "`python train.py`, then `uvicorn app.main:app --port 8000`; fix the first error.",
    )


test_no_credentials_is_401 = token_checks.test_no_credentials_is_401  # shared, in this order
test_bad_tokens_are_401 = token_checks.test_bad_tokens_are_401
test_missing_scope_is_403 = token_checks.test_missing_scope_is_403
test_valid_tokens_are_served = token_checks.test_valid_tokens_are_served


def needles(api: ApiSession) -> list[tuple[str, list[tuple[str, bool]]]]:
    """(kind, [(text, case-insensitive), ...]): one group per secret, token or datum; a group
    counts once, at its first text found (a whole token, else its claims or its signature)."""
    groups = [(f"the value of {var}", [(value, False)]) for var, value in api.secrets.items()]
    for token in api.tokens:
        parts = [(p, False) for p in token.split(".")[1:] if p]
        groups.append(("bearer token (or part of one)", [(token, False), *parts]))
    for person in api.people:
        groups.append(("caller's e-mail address", [(person.key, True)]))
        groups.append(("caller's name", [(person.name, True)]))
    return groups


def leaks(api: ApiSession) -> list[str]:
    """What leaked where, one line per kind and place, each with an example."""
    sources = {"the app's console output": api.logs} | {
        f"{name} (written by the app)": text for name, text in api.written.items()
    }
    found: dict[tuple[str, str], list[str]] = {}
    for where, text in sources.items():
        lowered = text.lower()
        for kind, group in needles(api):
            for needle, fold in group:
                at = -1 if len(needle) < 8 else (lowered if fold else text).find(
                    needle.lower() if fold else needle
                )  # fmt: skip
                if at >= 0:
                    found.setdefault((kind, where), []).append(excerpt(text, at, len(needle), fold))
                    break
    return [
        f"{kind} in {where} ({len(examples)} found), e.g. {examples[0]}"
        for (kind, where), examples in found.items()
    ]


def excerpt(text: str, at: int, length: int, personal: bool) -> str:
    """The log line around a leak, with a leaked token or secret cut short."""
    start = max(text.rfind("\n", 0, at) + 1, at - 80)
    end = text.find("\n", at)
    end = min(len(text) if end < 0 else end, at + length + 40)
    shown = text[at : at + length] if personal or length <= 12 else text[at : at + 8] + "…"
    before = ("…" if start > 0 and text[start - 1] != "\n" else "") + text[start:at]
    return before + shown + text[at + length : end]


@pytest.mark.points(2)
@pytest.mark.hint("Log the method, path, status and a pseudonym of the caller: nothing else.")
def test_logs_hold_no_secrets_or_personal_data(live_api: ApiSession) -> None:
    """The app's logs after the session hold no token, no secret and no caller's name or e-mail"""
    found = leaks(live_api)
    expect_none(
        found,
        expected="no bearer token (or part of one), no JWT_SECRET or PSEUDONYM_KEY, and no "
        "caller's e-mail address or name in what the app printed or wrote during "
        f"{len(live_api.calls)} requests",
        hint="Never log request headers (Authorization is a bearer token anyone can replay), "
        "tokens or claims; log the caller as app.privacy.pseudonym(caller.subject).",
    )


@pytest.fixture(scope="module")
def rekeyed(live_api: ApiSession, serve: Callable[..., Any]) -> Restart:
    """The app started with the same JWT_SECRET and another PSEUDONYM_KEY, and the session's
    first caller's prediction sent again: its audit line must name the caller differently."""
    secret, first = live_api.secrets["JWT_SECRET"], live_api.calls["predict/valid"]
    env = week_env(JWT_SECRET=secret, PSEUDONYM_KEY=secrets.token_hex(32))
    again = Call("predict/valid-new-key", "POST", "/predict", first.sent, 200, first.token,
                 body=first.body)  # fmt: skip
    return restart(serve, live_api, Restart("another PSEUDONYM_KEY"), env, [again])


def words(text: str) -> set[str]:
    """The identifier-like words of a text (a pseudonym, a hash, a request id...)."""
    return set(ID_WORD.findall(text))


def plain_named(api: ApiSession, texts: list[str]) -> list[str]:
    """'<e-mail> as <word>' for each caller the texts name by an unkeyed hash or encoding."""
    seen = set().union(*(words(t) for t in texts))
    out = []
    for person in api.people:
        hashes = plain_hashes(person.key) | plain_hashes(person.name)
        out += [f"{person.key} as {w}" for w in sorted(seen) if unkeyed(w, hashes)]
    return out


def audit_problems(api: ApiSession, rekeyed: Restart, first: Person) -> list[str]:
    """What is wrong with how the audit log names callers: unkeyed, or not at all."""
    slices = api.slices
    ids = (words(slices["predict/valid"]) & words(slices["predict/valid-again"])) - words(
        slices["predict/valid-other"]
    )
    texts = [api.logs, *api.written.values(), *rekeyed.slices.values()]
    problems = [f"a caller named by an unkeyed hash: {n}" for n in plain_named(api, texts)[:3]]
    if not ids:
        printed = " | ".join(slices["predict/valid"].strip().splitlines()) or "(nothing printed)"
        untold = (
            "the lines the app printed for two predictions of the same caller and one of "
            f"another caller do not tell the callers apart (no word of {MIN_PSEUDONYM} or more "
            f"characters is the first caller's): {printed}"
        )
        return [*problems, untold]
    clear = sorted(w for w in ids if w.lower() in f"{first.key} {first.name}".lower())
    if clear:
        return [
            *problems,
            f"the first caller is named by their e-mail address or name ({clear[0]} of "
            f"{first.key}), not by a pseudonym",
        ]
    again = rekeyed.replies.get("predict/valid-new-key")
    if not rekeyed.started or again is None or again.status != 200:
        why = rekeyed.failure or (again.describe() if again else "no answer")
        return [*problems, f"with another PSEUDONYM_KEY the same prediction failed: {why}"]
    same = sorted(ids & words(rekeyed.slices["predict/valid-new-key"]))
    if same and not problems:
        problems.append(
            f"the first caller ({first.key}) is logged as {same[0]} with one PSEUDONYM_KEY and "
            "with another: the pseudonym does not depend on the key"
        )
    return problems


@pytest.mark.points(2)
@pytest.mark.hint("Log app.privacy.pseudonym(caller.subject): HMAC-SHA256 keyed by PSEUDONYM_KEY.")
def test_audit_log_names_callers_by_keyed_pseudonym(live_api: ApiSession, rekeyed: Restart) -> None:
    """The audit log tells callers apart by a pseudonym keyed by PSEUDONYM_KEY, not a plain hash"""
    if wrong_statuses(live_api, AUDITED):
        blocked(
            "the app did not answer the audited predictions with 200",
            hint="Make the check 'Valid tokens with the right scope get 200' pass first.",
        )
    problems = audit_problems(live_api, rekeyed, live_api.people[0])
    expect_none(
        problems,
        expected="each prediction's audit line to name its caller by a pseudonym nobody can "
        "compute without PSEUDONYM_KEY: the same for the same caller, another for another "
        "caller, another when the key changes, and no MD5/SHA/BLAKE2 digest or base64 of the "
        "e-mail or name (the check computed them)",
        hint="An unkeyed hash of an e-mail is reversible by hashing a list of known addresses. "
        "Log pseudonym(caller.subject) with app.privacy.pseudonym = hmac.new(PSEUDONYM_KEY, "
        "email.strip().lower().encode(), hashlib.sha256).hexdigest() (no key or salt in code).",
    )
