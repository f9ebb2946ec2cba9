"""What the API's tests share: a JWT_SECRET made up for this run (the app refuses to start
without one, and no secret is ever written in code), and tokens signed with it."""

from __future__ import annotations

import os
import secrets
import time

import jwt

os.environ["JWT_SECRET"] = secrets.token_urlsafe(32)


def token(scope: str, secret: str | None = None, **claims: object) -> str:
    """A bearer token for a made-up caller, valid for five minutes."""
    now = int(time.time())
    body = {"sub": "tester@example.com", "scope": scope, "iat": now, "exp": now + 300, **claims}
    return jwt.encode(body, secret or os.environ["JWT_SECRET"], algorithm="HS256")
