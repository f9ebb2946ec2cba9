"""Asking a learner's MLflow store questions without importing MLflow in the checks.

A probe script (a week's ``probe_*.py``) runs in the learner's interpreter through ``run`` with
the tracking store in its environment (and ``checks/_lib`` on its path, for the stdlib-only
``mlops_probes``), and prints one JSON line after a marker; its answer is gathered here with the
store it was asked about. The names under which a run may log its test metrics, and the two
scores ``mlops_checks.scores`` lacks, are here too: weeks 5 and 6 both read them.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_checks.scores import rmse
from mlops_roadmap import tracking
from mlops_roadmap.checking import blocked, fail
from mlops_roadmap.fixtures import Run

MARKER = "PROBE-JSON:"
LIB = Path(__file__).resolve().parent.parent  # checks/_lib: the probes import mlops_probes


def run_probe(
    run: Run, argv: Sequence[object], store_uri: str, cwd: Path, timeout: float
) -> dict[str, Any]:
    """The probe's answer (``argv`` after the interpreter: the script, then its arguments, the
    marker first), or {"crash": what went wrong} when it printed none."""
    env = tracking.probe_env(store_uri)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(LIB), env.get("PYTHONPATH", "")]))
    result = run([str(a) for a in argv], cwd=cwd, env=env, timeout=timeout)
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


def readable_store(facts: Facts, what: str, first_import: str, hint: str) -> dict[str, Any]:
    """What the probe read from the store (``what``: "the tracking store", "the model
    registry"); blocked when MLflow does not import or the store's server is down, failed when
    the declared store is not there or MLflow cannot read it."""
    store = facts.store
    if facts.import_errors:
        blocked(f"MLflow does not import, so {what} cannot be read", hint=first_import)
    if facts.problem is not None:
        if facts.problem.blocked:
            blocked(facts.problem.found, hint=facts.problem.hint)
        fail(
            expected=f"an MLflow tracking store at MLFLOW_TRACKING_URI={store.declared} "
            f"({store.origin})",
            found=facts.problem.found,
            hint=facts.problem.hint,
        )
    found = facts.store_facts
    if found.get("error"):
        fail(
            expected=f"MLflow to read {what} of {store.uri} ({store.origin})",
            found=found["error"],
            hint=hint,
        )
    return found


FIRST_IMPORT = "Make the check 'The week's libraries import' pass first."


# -- what a run's metrics mean -----------------------------------------------------------------

# rmse, mae and r2 on the test set, as a run may name them: rmse, test_rmse, rmse_test, test/rmse
# (train_ metrics are the learner's own business: their training rows may be a split).
METRIC = re.compile(r"(?i)^(?:(test|train)[_./-])?(rmse|mae|r2)(?:[_./-](test|train))?$")
SCORES = ("rmse", "mae", "r2")


def named_scores(metrics: Mapping[str, Any]) -> dict[str, tuple[str, float]]:
    """score -> (the name it was logged under, its value) for each test-set metric a run logged
    under a name the checks recognise (``rmse`` before ``test_rmse``)."""
    found: dict[str, tuple[str, float]] = {}
    for name in sorted(metrics, key=len):
        match = METRIC.match(name)
        value = metrics[name]
        if match and "train" not in {match[1], match[3]} and isinstance(value, (int, float)):
            found.setdefault(match[2].lower(), (name, float(value)))
    return found


def logged_rmse(metrics: Mapping[str, Any]) -> float | None:
    """The test RMSE a run logged (as rmse, test_rmse...), or None."""
    named = named_scores(metrics).get("rmse")
    return named[1] if named else None


def mae(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """Mean absolute error."""
    pairs = zip(actual, predicted, strict=True)
    return math.fsum(abs(p - a) for a, p in pairs) / len(actual)


def r2(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """The coefficient of determination, as scikit-learn's r2_score computes it."""
    mean = math.fsum(actual) / len(actual)
    total = math.fsum((a - mean) ** 2 for a in actual)
    residual = math.fsum((a - p) ** 2 for a, p in zip(actual, predicted, strict=True))
    return 1 - residual / total


SCORERS: dict[str, Callable[[Sequence[float], Sequence[float]], float]] = {
    "rmse": rmse,
    "mae": mae,
    "r2": r2,
}
