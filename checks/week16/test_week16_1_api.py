"""Week 16: the API authenticates (401), authorises (403), serves (200), and logs no secrets.

The `api` fixture (conftest.py) trained the model and started the app once, with a JWT_SECRET
and a PSEUDONYM_KEY made up for this run, sent it one session of requests with tokens minted
here, and stopped it; these checks read what it answered and what it logged.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pytest

from mlops_roadmap.checking import expect, expect_none, fail

if TYPE_CHECKING:
    from conftest import ApiSession, Call, Reply

REL_TOL = 1e-6
TOKEN_SCHEME = (
    "Bearer JWT signed with HS256 and the secret in JWT_SECRET; scopes space-separated in the "
    "`scope` claim; `exp` required"
)
# Room for train.py (240 s at most), the start (60 s) and 14 requests (15 s each at most).
pytestmark = pytest.mark.timeout(600)


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
@pytest.mark.hint("jwt.decode(token, secret, algorithms=['HS256'], options={'require': ['exp']}).")
def test_bad_tokens_are_401(live_api: ApiSession) -> None:
    """Wrong, forged, unsigned, expired or never-expiring tokens get 401 from /predict"""
    names = [
        "predict/basic",
        "predict/garbage",
        "predict/wrong-secret",
        "predict/expired",
        "predict/alg-none",
        "predict/no-exp",
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
    problems = wrong_statuses(live_api, ["predict/valid", "reload/valid"])
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
