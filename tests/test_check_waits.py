"""$MLOPS_ROADMAP_READY_WAIT: the course's tests shorten the checks' wait for a server that never
gets ready; a learner, who leaves it unset, gets each wait's own default, and no value lengthens
one."""

from __future__ import annotations

import pytest

from mlops_checks import api, kserve_probe, waits


def test_a_learner_gets_each_waits_own_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(waits.ENV, raising=False)
    assert waits.ready_wait(180) == 180
    assert waits.ready_wait(60) == 60


@pytest.mark.parametrize(("value", "wanted"), [("20", 20), ("2.5", 2.5), ("600", 180)])
def test_the_variable_only_ever_shortens_a_wait(
    monkeypatch: pytest.MonkeyPatch, value: str, wanted: float
) -> None:
    monkeypatch.setenv(waits.ENV, value)
    assert waits.ready_wait(180) == wanted


@pytest.mark.parametrize("value", ["", "soon", "0", "-5", "nan"])
def test_a_value_that_is_not_a_positive_number_is_ignored(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(waits.ENV, value)
    assert waits.ready_wait(180) == 180


def test_the_shared_waits_keep_their_defaults_for_learners() -> None:
    """The tests' own process never sets the variable, so the modules read the defaults."""
    assert api.START_TIMEOUT == 60
    assert kserve_probe.START_TIMEOUT == 180
