"""Sealed verdicts: what the grader hands the checker, and how it knows the verdict is the
checker's.

The submission's code runs beside the checker, as the same user (a sandbox holds one uid), so
it can write any file the checker can, the verdict included. It cannot read the checker's
memory: the checker makes itself non-dumpable before anything of the submission's runs, so
neither ``/proc/<pid>/mem``, ``environ`` nor ``fd`` of it opens, and no ``ptrace`` attaches.
So the grader gives the checker, and the checker alone, a fresh random key per run (and the
held-out answers, which are not on the sandbox's disk) through a channel read once before any
submission code starts: the jail's stdin (a memfd only the checker holds) or a file the
checker deletes at once. The checker signs its verdict with that key (HMAC-SHA256 over the
verdict's exact bytes); a verdict without a valid seal is not the checker's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "mlops-roadmap-seal/1"
KEY_BYTES = 32


@dataclass(frozen=True)
class Seal:
    """The run's key and the held-out answers (name under data/ -> bytes)."""

    key: bytes = field(default_factory=lambda: secrets.token_bytes(KEY_BYTES), repr=False)
    held_out: Mapping[str, bytes] = field(default_factory=dict, repr=False)

    def to_text(self) -> str:
        """What travels to the checker (JSON)."""
        files = {name: base64.b64encode(data).decode() for name, data in self.held_out.items()}
        return json.dumps({"format": FORMAT, "key": self.key.hex(), "held_out": files})

    @classmethod
    def from_text(cls, text: str) -> Seal:
        """The seal ``to_text`` wrote; ValueError when it is anything else."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError("not a seal")
            key = bytes.fromhex(data["key"])
            files = {
                str(n): base64.b64decode(v, validate=True) for n, v in data["held_out"].items()
            }
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            raise ValueError(f"the grader's seal is unreadable: {exc}") from None
        if len(key) != KEY_BYTES:
            raise ValueError("the grader's seal has a key of the wrong length")
        return cls(key, files)

    def sign(self, verdict_text: str) -> dict[str, str]:
        """The envelope the checker writes: the verdict's exact text and its HMAC."""
        mac = hmac.new(self.key, verdict_text.encode("utf-8"), hashlib.sha256).hexdigest()
        return {"format": FORMAT, "verdict": verdict_text, "hmac": mac}

    def open(self, envelope: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The verdict inside a sealed envelope; ``{"error": ...}`` when the seal does not hold
        (something other than the checker wrote it); None when there is no envelope at all."""
        if envelope is None:
            return None
        text, mac = envelope.get("verdict"), envelope.get("hmac")
        if (
            envelope.get("format") != FORMAT
            or not isinstance(text, str)
            or not isinstance(mac, str)
        ):
            return {"error": FORGED + " (it is not in the checker's sealed envelope)"}
        good = hmac.new(self.key, text.encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(good, mac):
            return {"error": FORGED + " (its seal does not match)"}
        try:
            data = json.loads(text)
        except ValueError:
            return {"error": "the checker's sealed verdict is not JSON"}
        return data if isinstance(data, dict) else {"error": "the sealed verdict is not an object"}


FORGED = "the verdict was not written by the checker: something in the sandbox replaced it"


def write_private(path: Path, text: str) -> None:
    """Write a seal where only its owner may read it (0600, never through a link)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def for_course(course_root: Path) -> Seal:
    """A fresh seal carrying the course's held-out answers."""
    from mlops_roadmap import course

    loaded = course.load(course_root)
    return Seal(held_out={name: path.read_bytes() for name, path in loaded.held_out()})
