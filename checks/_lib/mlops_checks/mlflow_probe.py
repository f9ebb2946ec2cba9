"""Asking a learner's MLflow store questions without importing MLflow in the checks.

A probe script (a week's ``probe_*.py``) runs in the learner's interpreter through ``run`` with
the tracking store in its environment, and prints one JSON line after a marker; its answer is
gathered here with the store it was asked about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_roadmap import tracking
from mlops_roadmap.fixtures import Run

MARKER = "PROBE-JSON:"


def run_probe(
    run: Run, argv: Sequence[object], store_uri: str, cwd: Path, timeout: float
) -> dict[str, Any]:
    """The probe's answer (``argv`` after the interpreter: the script, then its arguments, the
    marker first), or {"crash": what went wrong} when it printed none."""
    result = run(
        [str(a) for a in argv], cwd=cwd, env=tracking.probe_env(store_uri), timeout=timeout
    )
    answer = tracking.parse_probe(result.stdout, MARKER)
    if answer is not None:
        return answer
    if result.timed_out:
        return {"crash": f"the MLflow probe ran for more than {timeout:g} s and was stopped"}
    return {"crash": f"the MLflow probe failed (exit {result.returncode}): {result.tail(6)}"}


@dataclass(frozen=True)
class Facts:
    """What the learner's interpreter and tracking store hold, as one probe found them."""

    store: tracking.Store
    problem: tracking.Problem | None
    answer: dict[str, Any]

    @property
    def import_errors(self) -> list[str]:
        if "crash" in self.answer:
            return [self.answer["crash"]]
        return list(self.answer.get("imports", {}).get("errors", []))

    @property
    def store_facts(self) -> dict[str, Any]:
        """What the probe read from the store (runs, or the registered model)."""
        return dict(self.answer.get("store") or {})
