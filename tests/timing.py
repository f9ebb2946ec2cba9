"""How long tests wait: every timeout and wait in tests/ goes through ``scaled``.

Set MLOPS_ROADMAP_TEST_TIMEOUT_SCALE (default 1) to multiply them all on a slow or loaded
machine. Tests never sleep a fixed time before an assertion: they poll with ``wait_until``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

SCALE_ENV = "MLOPS_ROADMAP_TEST_TIMEOUT_SCALE"
T = TypeVar("T")


def scale() -> float:
    """The factor from $MLOPS_ROADMAP_TEST_TIMEOUT_SCALE: a positive number, 1 when unset."""
    text = os.environ.get(SCALE_ENV, "").strip() or "1"
    try:
        factor = float(text)
    except ValueError:
        factor = 0.0
    if not factor > 0:
        raise ValueError(f"${SCALE_ENV}: expected a positive number, got {text!r}")
    return factor


def scaled(seconds: float) -> float:
    """``seconds`` times the machine's scale: what a timeout or a time bound should be."""
    return seconds * scale()


def wait_until(
    predicate: Callable[[], T], timeout: float, message: str, interval: float = 0.05
) -> T:
    """Poll ``predicate`` until it returns something true, and return that; raise
    ``AssertionError(message)`` if it is still false after ``scaled(timeout)`` seconds."""
    limit = scaled(timeout)
    deadline = time.monotonic() + limit
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} (after {limit:g} s)")
        time.sleep(interval)


def ready_wait(seconds: float) -> dict[str, str]:
    """The environment that caps every check's wait for a server to get ready at
    ``scaled(seconds)`` ($MLOPS_ROADMAP_READY_WAIT, see mlops_checks.waits): for a test whose
    server never gets ready, which proves the failure and its message, not the check's
    patience (a learner's default: one to three minutes)."""
    return {"MLOPS_ROADMAP_READY_WAIT": f"{scaled(seconds):g}"}
