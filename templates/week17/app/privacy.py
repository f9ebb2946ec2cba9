"""Keyed pseudonyms for personal data.

The same person always gets the same pseudonym (so counts and joins still work), and nobody
without the key in PSEUDONYM_KEY can compute one from a known e-mail address or reverse it.
Pseudonymised data is still personal data under the GDPR: the key lives in a secret manager,
apart from the data.
"""

from __future__ import annotations

import hashlib
import hmac
import os

MIN_KEY_LENGTH = 32


def pseudonym_key() -> bytes:
    """The HMAC key, from the environment only."""
    key = os.environ.get("PSEUDONYM_KEY", "")
    if len(key) < MIN_KEY_LENGTH:
        raise RuntimeError(
            f"set PSEUDONYM_KEY to at least {MIN_KEY_LENGTH} random characters "
            "(see .env.example)"
        )
    return key.encode()


def pseudonym(value: str) -> str:
    """The pseudonym of an identifier such as an e-mail address: HMAC-SHA256 with the key."""
    normalised = value.strip().lower()  # Jane.Doe@Example.com is jane.doe@example.com
    return hmac.new(pseudonym_key(), normalised.encode(), hashlib.sha256).hexdigest()
