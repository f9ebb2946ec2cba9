"""Week 6: promote.py chooses the champion by evidence, and running it again changes nothing.

promote.py runs twice in a copy of the week folder (probe_promote.py, in the learner's
interpreter). With a SQLite store the copy gets its own database, and the check first moves
champion to the worst version so that promote.py has a decision to make; with a tracking
server the registry is the learner's own, so nothing is moved and promote.py must keep the
champion where it is.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from mlops_roadmap.checking import blocked, expect, fail

ALIAS = "champion"
PROMOTE_TIMEOUT = 180  # as in conftest.py
# Room for the registry probe (240 s at most) and two promote.py runs.
pytestmark = pytest.mark.timeout(900)


def outcome_text(outcome: dict[str, Any]) -> str:
    if outcome["timed_out"]:
        return f"still running after {PROMOTE_TIMEOUT} s, so it was stopped"
    return f"exit status {outcome['returncode']}:\n{outcome['tail']}"


@pytest.mark.points(2)
@pytest.mark.hint("Run `python promote.py` twice yourself from the week folder.")
def test_promote_picks_best_and_is_idempotent(promotion: dict[str, Any]) -> None:
    """promote.py points champion at the best version, and a second run changes nothing"""
    problem = promotion.get("error") or promotion.get("crash")
    if problem:
        fail(expected="promote.py to run in a copy of the week folder", found=problem)
    scores = promotion["rmse"]
    if not scores:
        blocked(
            "no registered version comes from a run with an rmse metric",
            hint="Make the check 'The registered model ames-price has at least two versions' "
            "pass first.",
        )
    best = min(scores.values())
    best_versions = [v for v, s in scores.items() if math.isclose(s, best, rel_tol=1e-9)]
    first = promotion["runs"][0]
    expect(
        first["returncode"] == 0 and not first["timed_out"],
        expected="`python promote.py` to exit with status 0",
        found=outcome_text(first),
        hint="Finish its TODOs, then run it yourself after `source env.sh`.",
    )
    moved = promotion["moved_to"]
    setup = f" (the check had first moved {ALIAS} to version {moved}, the worst)" if moved else ""
    expect(
        first["after"] in best_versions,
        expected=f"{ALIAS} on version {' or '.join(best_versions)} after promote.py (the "
        f"lowest logged rmse, {best:,.2f})",
        found=f"{ALIAS} on version {first['after']}{setup}",
        hint="Score every version on data/raw/test.csv and point the alias at the lowest RMSE "
        "with client.set_registered_model_alias.",
    )
    second = promotion["runs"][1]
    expect(
        second["returncode"] == 0 and second["after"] == first["after"],
        expected=f"a second `python promote.py` to exit 0 and leave {ALIAS} on version "
        f"{first['after']}",
        found=f"{ALIAS} on version {second['after']}; {outcome_text(second)}",
        hint="When the champion is already the best, change nothing (compare before you move).",
    )
