"""JSON Web Tokens minted with the standard library (RFC 7519, HS256 = HMAC-SHA256).

The checks need tokens the learner's API must accept, and tokens it must refuse (expired,
signed with another secret, tampered with, unsigned); minting them here keeps PyJWT out of the
engine, and the learner's API may verify them with any JWT library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


def b64url(data: bytes) -> str:
    """Base64url without padding, as JWTs use it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def mint(claims: dict[str, Any], secret: str, alg: str = "HS256") -> str:
    """A compact JWT: HS256-signed with ``secret``, or unsigned when ``alg`` is "none"."""
    header = segment({"alg": alg, "typ": "JWT"})
    signing_input = f"{header}.{segment(claims)}"
    if alg == "none":
        return signing_input + "."
    if alg != "HS256":
        raise ValueError(f"unsupported alg {alg}")
    digest = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(digest)}"


def tampered(token: str, claims: dict[str, Any]) -> str:
    """``token`` with its claims replaced and its original signature kept."""
    header, _, signature = token.split(".")
    return f"{header}.{segment(claims)}.{signature}"
