"""Week 16: the API authenticates (401), authorises (403), serves (200), logs no secrets, and
names callers in its audit log by a keyed pseudonym.

The `api` fixture (conftest.py) trained the model and started the app once, with a JWT_SECRET
and a PSEUDONYM_KEY made up for this run, sent it one session of requests with tokens minted
here, and stopped it; these checks read what it answered and what it logged, request by
request. The `rekeyed` fixture started it once more with another PSEUDONYM_KEY.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from conftest import MIN_PSEUDONYM, Call, Restart, plain_hashes, restart, unkeyed, week_env

from mlops_roadmap.checking import blocked, expect, expect_none, fail

if TYPE_CHECKING:
    from conftest import ApiSession, Person, Reply

REL_TOL = 1e-6
TOKEN_SCHEME = (
    "Bearer JWT signed with HS256 and the secret in JWT_SECRET; scopes space-separated in the "
    "`scope` claim; `exp` and `sub` required"
)
# The first caller's prediction, another caller's, and the first caller's again.
AUDITED = ["predict/valid", "predict/valid-other", "predict/valid-again"]
ID_WORD = re.compile(rf"[A-Za-z0-9+/=_-]{{{MIN_PSEUDONYM},}}")
# Room for train.py (240 s at most), the start (60 s), 17 requests (15 s each at most), and a
# second start.
pytestmark = pytest.mark.timeout(900)


def outcome(api: ApiSession, name: str) -> tuple[Call, Reply]:
    return api.calls[name], api.replies[name]


def wrong_statuses(api: ApiSession, names: list[str]) -> list[str]:
    """'<what was sent> to <path>: HTTP <got>' for each call that did not get its status."""
    out = []
    for name in names:
        call, reply = outcome(api, name)
        if reply.status != call.expect:
            out.append(f"{call.sent} to {call.method} {call.path}: {reply.describe()}")
    return out


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


@pytest.mark.points(2)
@pytest.mark.hint("No token: raise HTTPException(401, headers={'WWW-Authenticate': 'Bearer'}).")
def test_no_credentials_is_401(live_api: ApiSession) -> None:
    """Without a bearer token, /predict and /admin/reload answer 401 with WWW-Authenticate"""
    problems = wrong_statuses(live_api, ["predict/none", "reload/none"])
    for name in ("predict/none", "reload/none"):
        call, reply = outcome(live_api, name)
        challenge = {k.lower(): v for k, v in reply.headers.items()}.get("www-authenticate")
        if reply.status == 401 and not (challenge or "").strip().lower().startswith("bearer"):
            problems.append(
                f"{call.method} {call.path} answered 401 with "
                + (f"WWW-Authenticate: {challenge}" if challenge else "no WWW-Authenticate header")
            )
    expect_none(
        problems,
        expected="401 Unauthorized with a header `WWW-Authenticate: Bearer` (it tells the client "
        "how to authenticate) for requests without credentials",
        hint="With HTTPBearer(auto_error=False) a missing token gives None: raise "
        "HTTPException(status_code=401, headers={'WWW-Authenticate': 'Bearer'}). A missing "
        "token is 401 (who are you?), never 403 and never an anonymous caller.",
    )


@pytest.mark.points(2)
@pytest.mark.hint("jwt.decode(token, secret, algorithms=['HS256'], options={'require': [...]}).")
def test_bad_tokens_are_401(live_api: ApiSession) -> None:
    """Wrong, forged, unsigned, expired, never-expiring or subjectless tokens get 401"""
    names = [
        "predict/basic",
        "predict/garbage",
        "predict/wrong-secret",
        "predict/expired",
        "predict/alg-none",
        "predict/no-exp",
        "predict/no-sub",
        "predict/tampered",
    ]
    problems = wrong_statuses(live_api, names)
    expect_none(
        problems,
        expected=f"401 Unauthorized for every token the API must not trust ({TOKEN_SCHEME})",
        hint="Verify every token: jwt.decode(token, os.environ['JWT_SECRET'], "
        "algorithms=['HS256'], options={'require': ['exp', 'sub']}) checks the signature and "
        "the expiry and refuses 'alg: none'; turn every jwt.InvalidTokenError into 401 (a "
        "500 means an exception escaped).",
    )


@pytest.mark.points(2)
@pytest.mark.hint("A valid token without the endpoint's scope is 403 Forbidden.")
def test_missing_scope_is_403(live_api: ApiSession) -> None:
    """A valid token without the endpoint's scope gets 403 (predict, admin)"""
    problems = wrong_statuses(
        live_api, ["predict/other-scope", "predict/similar-scope", "reload/predict-scope"]
    )
    expect_none(
        problems,
        expected="403 Forbidden from POST /predict without the `predict` scope and from POST "
        "/admin/reload without the `admin` scope (the token itself is valid)",
        hint="Split the `scope` claim on spaces and test membership: "
        "`'predict' in claims['scope'].split()`; 'predict' in 'predictions:read' is a "
        "substring test, not a scope test. 401 is for who you are, 403 for what you may do.",
    )


@pytest.mark.points(2)
@pytest.mark.hint("A valid token with the scope: /predict answers the model's predictions.")
def test_valid_tokens_are_served(
    live_api: ApiSession, model_predictions: list[float] | str
) -> None:
    """Valid tokens with the right scope get 200, and /predict answers what the model predicts"""
    problems = wrong_statuses(live_api, [*AUDITED, "reload/valid"])
    expect_none(
        problems,
        expected="200 OK from POST /predict with a `predict` token and from POST "
        f"/admin/reload with a `predict admin` token ({TOKEN_SCHEME})",
        hint="Read the secret with os.environ['JWT_SECRET'] (the checks set their own) and "
        "verify with algorithms=['HS256']; 'scope' holds space-separated scopes.",
    )
    if isinstance(model_predictions, str):
        fail(
            expected="models/linear.joblib (made by train.py) to load and predict",
            found=model_predictions,
            hint="train.py saves the whole fitted Pipeline with joblib.dump.",
        )
    served = served_predictions(outcome(live_api, "predict/valid")[1])
    differ = [
        i
        for i, (a, b) in enumerate(zip(model_predictions, served, strict=False))
        if not math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-6)
    ]
    expect(
        len(served) == len(model_predictions) and not differ,
        expected=f"{len(model_predictions)} predictions equal to those of models/linear.joblib",
        found=f"{len(served)} predictions"
        + (
            f"; {len(differ)} differ, e.g. house {differ[0]}: {served[differ[0]]:,.2f} served, "
            f"{model_predictions[differ[0]]:,.2f} from the model"
            if differ
            else ""
        ),
        hint="Predict with the model loaded from models/linear.joblib, on a DataFrame of the "
        "houses in the order they were sent.",
    )


def served_predictions(reply: Reply) -> list[float]:
    try:
        body: Any = reply.json()
        return [float(v) for v in body["predictions"]]
    except (ValueError, KeyError, TypeError) as exc:
        fail(
            expected='a JSON answer like {"predictions": [182000.0, ...]}',
            found=f"{reply.text[:200]} ({type(exc).__name__})",
            hint="Return PredictResponse(predictions=[...]) from /predict.",
        )


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
