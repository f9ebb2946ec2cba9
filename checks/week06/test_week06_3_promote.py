"""Week 6: promote.py chooses the champion by evidence, and running it again changes nothing.

promote.py runs twice in a copy of the week folder (probe_promote.py, in the learner's
interpreter), after the probe scored every version on the copy's data/raw/test.csv. With a
SQLite store the copy gets its own database, and the check first makes logged and real scores
disagree: it registers a decoy (a new version of the worst model, from a run that logged better
metrics than any other) and moves champion to the worst version, so that promote.py has a
decision to make and only one made by evidence is right. With a tracking server the registry
is the learner's own, so nothing is changed and promote.py must keep the champion on the best.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from mlops_checks.scores import REL_TOL
from mlops_roadmap.checking import blocked, expect, fail

ALIAS = "champion"
PROMOTE_TIMEOUT = 180  # as in conftest.py
# Room for the registry probe (240 s at most) and two promote.py runs.
pytestmark = pytest.mark.timeout(900)


def outcome_text(outcome: dict[str, Any]) -> str:
    if outcome["timed_out"]:
        return f"still running after {PROMOTE_TIMEOUT} s, so it was stopped"
    return f"exit status {outcome['returncode']}:\n{outcome['tail']}"


def where(promotion: dict[str, Any], version: str | None) -> str:
    """A version as the check knows it: its real RMSE, what its run logged, and its part."""
    if version is None:
        return "no version (the alias is gone)"
    real, logged = promotion["real"].get(version), promotion["rmse"].get(version)
    parts = [f"RMSE {real:,.2f} on data/raw/test.csv"] if real is not None else []
    parts += [f"its run logged rmse {logged:,.2f}"] if logged is not None else []
    if version == promotion.get("decoy"):
        parts.append("the check's decoy: the worst model, registered from a run that logged "
                     "better numbers than any other")  # fmt: skip
    return f"version {version}" + (f" ({'; '.join(parts)})" if parts else "")


def promote_hint(promotion: dict[str, Any], after: str | None) -> str:
    if after is not None and after == promotion.get("decoy"):
        return (
            "promote.py ranked the versions by the metric their runs logged. Load every "
            "version (mlflow.pyfunc.load_model(f'models:/ames-price/{version}')), score it on "
            "data/raw/test.csv yourself and point the alias at the lowest RMSE."
        )
    return (
        "Score every version on data/raw/test.csv and point the alias at the lowest RMSE with "
        "client.set_registered_model_alias."
    )


@pytest.mark.points(2)
@pytest.mark.hint("Run `python promote.py` twice yourself from the week folder.")
def test_promote_picks_best_and_is_idempotent(promotion: dict[str, Any]) -> None:
    """promote.py points champion at the version that scores best, and a rerun changes nothing"""
    problem = promotion.get("error") or promotion.get("crash")
    if problem:
        fail(expected="promote.py to run in a copy of the week folder", found=problem)
    real = promotion["real"]
    if not real:
        blocked(
            "no registered version predicts data/raw/test.csv: "
            + "; ".join(f"version {v}: {e}" for v, e in promotion["unscored"].items()),
            hint="Make the check 'models:/ames-price@champion loads and predicts' pass first.",
        )
    best = min(real.values())
    best_versions = [v for v, s in real.items() if math.isclose(s, best, rel_tol=REL_TOL)]
    first = promotion["runs"][0]
    expect(
        first["returncode"] == 0 and not first["timed_out"],
        expected="`python promote.py` to exit with status 0",
        found=outcome_text(first),
        hint="Finish its TODOs, then run it yourself after `source env.sh`.",
    )
    moved = promotion["moved_to"]
    setup = f"; the check had first moved {ALIAS} to {where(promotion, moved)}" if moved else ""
    expect(
        first["after"] in best_versions,
        expected=f"{ALIAS} on version {' or '.join(best_versions)} after promote.py (RMSE "
        f"{best:,.2f} on data/raw/test.csv, the lowest)",
        found=f"{ALIAS} on {where(promotion, first['after'])}{setup}",
        hint=promote_hint(promotion, first["after"]),
    )
    second = promotion["runs"][1]
    expect(
        second["returncode"] == 0 and second["after"] == first["after"],
        expected=f"a second `python promote.py` to exit 0 and leave {ALIAS} on version "
        f"{first['after']}",
        found=f"{ALIAS} on version {second['after']}; {outcome_text(second)}",
        hint="When the champion is already the best, change nothing and exit 0 (compare "
        "before you move).",
    )
