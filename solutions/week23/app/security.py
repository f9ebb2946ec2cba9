"""Who may call the API (401 Unauthorized) and what they may do (403 Forbidden).

Callers send `Authorization: Bearer <token>`. A token is a JWT signed with HS256 and the
secret in the environment variable JWT_SECRET (never in code). Its claims:

    sub     who the caller is: an e-mail address (personal data: never logged in the clear)
    scope   what they may do, space-separated as in OAuth 2: "predict", "predict admin"
    exp     when it expires (required), in seconds since 1970; iat: when it was issued

Tests mint their own tokens with the JWT_SECRET they set (tests/conftest.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

ALGORITHMS = ["HS256"]  # the only algorithm accepted: a token never chooses ("alg": "none")
MIN_SECRET_LENGTH = 32
bearer = HTTPBearer(auto_error=False)  # no token gives None: we choose between 401 and 403


@dataclass(frozen=True)
class Caller:
    subject: str
    scopes: frozenset[str]


def jwt_secret() -> str:
    """The signing secret, from the environment only: no default that could be committed."""
    secret = os.environ.get("JWT_SECRET", "")
    if len(secret) < MIN_SECRET_LENGTH:
        raise RuntimeError(
            f"set JWT_SECRET to at least {MIN_SECRET_LENGTH} random characters (see .env.example)"
        )
    return secret


def unauthorized(detail: str, error: str | None = None) -> HTTPException:
    """401 with the challenge RFC 6750 asks for: it tells the client to send a bearer token."""
    challenge = "Bearer" if error is None else f'Bearer error="{error}"'
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": challenge},
    )


def current_caller(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    if credentials is None:
        raise unauthorized("missing bearer token")
    try:
        claims = jwt.decode(
            credentials.credentials,
            jwt_secret(),
            algorithms=ALGORITHMS,
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise unauthorized("token expired", "invalid_token") from None
    except jwt.InvalidTokenError:
        # Never echo the token or the reason in detail: "invalid" is all a caller needs.
        raise unauthorized("invalid token", "invalid_token") from None
    scopes = frozenset(str(claims.get("scope", "")).split())
    return Caller(str(claims["sub"]), scopes)


def require(scope: str) -> Callable[[Caller], Caller]:
    """A dependency: the caller, once it is known to hold `scope`."""

    def check(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if scope not in caller.scopes:
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"this token lacks the '{scope}' scope",
                headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
            )
        return caller

    return check
