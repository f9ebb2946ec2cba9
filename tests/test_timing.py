"""One setting scales every timeout in the tests; waits poll until a deadline."""

from __future__ import annotations

import pytest

from tests.timing import SCALE_ENV, scale, scaled, wait_until


def test_the_scale_multiplies_timeouts_and_rejects_nonsense(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(SCALE_ENV, raising=False)
    assert scaled(2) == 2
    monkeypatch.setenv(SCALE_ENV, "2.5")
    assert scaled(2) == 5
    for bad in ("0", "-1", "slow", "nan"):
        monkeypatch.setenv(SCALE_ENV, bad)
        with pytest.raises(ValueError, match=f"{SCALE_ENV}: expected a positive number"):
            scale()


def test_wait_until_returns_the_first_true_value_or_fails_with_the_message() -> None:
    answers = iter([0, "", "ready"])
    assert wait_until(lambda: next(answers), 5, "never ready", interval=0) == "ready"
    with pytest.raises(AssertionError, match="the server never answered"):
        wait_until(lambda: None, 0.1, "the server never answered")
