"""What a week's checks use to pass, fail or block with a message.

A check fails with what it expected, what it found and a hint; it never prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import pytest


class CheckFailed(AssertionError):
    """A check's verdict: the learner's work is not yet right."""

    def __init__(self, expected: str, found: str, hint: str = "") -> None:
        super().__init__(f"expected {expected}; found {found}")
        self.expected = expected
        self.found = found
        self.hint = hint


class CheckBlocked(pytest.skip.Exception):  # type: ignore[name-defined,misc]
    """The check could not run here: a tool or an earlier step is missing."""

    def __init__(self, reason: str, hint: str = "") -> None:
        super().__init__(reason, allow_module_level=True)
        self.reason = reason
        self.hint = hint


def fail(expected: str, found: str, hint: str = "") -> NoReturn:
    """Fail the check, saying what was expected, what was found and how to fix it."""
    raise CheckFailed(expected, found, hint)


def expect(condition: object, expected: str, found: str, hint: str = "") -> None:
    """Fail the check unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(expected, found, hint)


def expect_none(
    problems: Sequence[str], expected: str, hint: str = "", shown: int | None = None
) -> None:
    """Fail, listing ``problems`` (the first ``shown`` of them, joined with "; "), unless there
    are none."""
    if problems:
        raise CheckFailed(expected, "; ".join(problems[:shown]), hint)


def expect_file(folder: Path, name: str, hint: str = "") -> Path:
    """``folder / name``, or fail because the week folder lacks it (the default hint: start
    from the scaffold's copy)."""
    path = folder / name
    if not path.is_file():
        raise CheckFailed(
            f"{name} in the week folder",
            "no such file",
            hint or f"Start from the scaffold's {name}.",
        )
    return path


def blocked(reason: str, hint: str = "") -> NoReturn:
    """Mark the check blocked: neither passed nor failed, with how to unblock it."""
    raise CheckBlocked(reason, hint)
