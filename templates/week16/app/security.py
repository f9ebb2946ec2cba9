"""Who may call the API (401 Unauthorized) and what they may do (403 Forbidden).

Callers send `Authorization: Bearer <token>`. A token is a JWT signed with HS256 and the
secret in the environment variable JWT_SECRET (never in code). Its claims:

    sub     who the caller is: an e-mail address (personal data: never logged in the clear)
    scope   what they may do, space-separated as in OAuth 2: "predict", "predict admin"
    exp     when it expires (required), in seconds since 1970; iat: when it was issued

tools/mint_token.py makes a token for trying the API by hand.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import jwt
from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

ALGORITHMS = ["HS256"]  # the only algorithm accepted: a token never chooses ("alg": "none")
MIN_SECRET_LENGTH = 32
bearer = HTTPBearer(auto_error=False)  # no token gives None: we choose between 401 and 403


@dataclass(frozen=True)
class Caller:
    subject: str
    scopes: frozenset[str]


def jwt_secret() -> str:
    # TODO(week 16): no fallback value. A default secret is a secret committed to git, and an
    #   app that silently uses it accepts tokens anyone can forge. Read JWT_SECRET from the
    #   environment and raise RuntimeError when it is missing or shorter than MIN_SECRET_LENGTH.
    return os.environ.get("JWT_SECRET", "change-me")


def current_caller(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Caller:
    if credentials is None:
        # TODO(week 16): no token is 401 Unauthorized with the header
        #   WWW-Authenticate: Bearer (raise HTTPException(401, ..., headers=...)), not a guest.
        return Caller("anonymous", frozenset())
    # TODO(week 16): this reads the claims WITHOUT checking the signature or the expiry, so
    #   anyone can forge a token. Use jwt.decode(token, jwt_secret(), algorithms=ALGORITHMS,
    #   options={"require": ["exp", "sub"]}) and turn every jwt.InvalidTokenError (bad
    #   signature, expired, malformed) into 401 with WWW-Authenticate: Bearer.
    claims = jwt.decode(credentials.credentials, options={"verify_signature": False})
    scopes = frozenset(str(claims.get("scope", "")).split())
    return Caller(str(claims.get("sub", "anonymous")), scopes)


def require(scope: str) -> Callable[[Caller], Caller]:
    """A dependency: the caller, once it is known to hold `scope`."""

    def check(caller: Caller = Depends(current_caller)) -> Caller:
        # TODO(week 16): a valid token without `scope` in its scopes is 403 Forbidden
        #   (authenticated, not authorised).
        return caller

    return check
