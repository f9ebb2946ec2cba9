"""The API behind bearer tokens judged by real requests: the checks week 16 teaches, collected
unchanged by the weeks that serve the same API behind tokens (the capstone, week 23) so they run
again there.

The `api` fixture (``token_fixtures``) trained the model and started the app once, with a
JWT_SECRET and a PSEUDONYM_KEY made up for the run, sent it one session of requests with tokens
minted here, and stopped it; these checks read what it answered. The `without_secret` fixture
started it again without JWT_SECRET, with an empty one and with a short one: each start must
fail, or accept no token signed with the secret it was given or with any string of its code. A
week collects the checks by importing them into one of its test modules; they keep their titles,
points and markers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from mlops_checks.token_session import ApiSession, Call, Reply, Restart
from mlops_roadmap.checking import expect, expect_none, fail

__all__ = [
    "AUDITED",
    "outcome",
    "test_app_needs_a_real_secret",
    "test_bad_tokens_are_401",
    "test_missing_scope_is_403",
    "test_no_credentials_is_401",
    "test_valid_tokens_are_served",
    "wrong_statuses",
]
REL_TOL = 1e-6
TOKEN_SCHEME = (
    "Bearer JWT signed with HS256 and the secret in JWT_SECRET; scopes space-separated in the "
    "`scope` claim; `exp` and `sub` required"
)
# The first caller's prediction, another caller's, and the first caller's again.
AUDITED = ["predict/valid", "predict/valid-other", "predict/valid-again"]


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
    live_api: ApiSession, token_predictions: list[float] | str
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
    if isinstance(token_predictions, str):
        fail(
            expected="models/linear.joblib (made by train.py) to load and predict",
            found=token_predictions,
            hint="train.py saves the whole fitted Pipeline with joblib.dump.",
        )
    served = served_predictions(outcome(live_api, "predict/valid")[1])
    differ = [
        i
        for i, (a, b) in enumerate(zip(token_predictions, served, strict=False))
        if not math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-6)
    ]
    expect(
        len(served) == len(token_predictions) and not differ,
        expected=f"{len(token_predictions)} predictions equal to those of models/linear.joblib",
        found=f"{len(served)} predictions"
        + (
            f"; {len(differ)} differ, e.g. house {differ[0]}: {served[differ[0]]:,.2f} served, "
            f"{token_predictions[differ[0]]:,.2f} from the model"
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
