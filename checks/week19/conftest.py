"""Week 19 fixtures: one clean-start run of optimize.py, its results.json, and every model file
it names measured by the check itself in the learner's interpreter (``mlops_checks.onnx_models``):
loaded in ONNX Runtime, run on data/raw/test.csv and on the held-out houses (features only: the
labels stay here), weights counted, latency timed. The engine's process reads JSON and CSV only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from mlops_checks import HOLDOUT, TARGET
from mlops_checks.clean_run import CleanRun, finished, run_clean
from mlops_checks.environment import import_errors
from mlops_checks.onnx_models import ModelFacts, Probed, probe_models
from mlops_checks.optimization_results import Results, ResultsProblem, read_results
from mlops_checks.scores import read_prices
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import CleanCopy, Run

RUN_TIMEOUT = 300  # seconds for `python optimize.py` (the solution takes about 11, 1 thread)
OUTPUTS = ("models", "results.json")  # left out of the clean copy: the run makes them
EXPENSIVE_PRICE = 160_000  # expensive = price > 160000, as in week 2
RESULTS_TITLE = "results.json lists the baseline, int8 and pruned variants with their measures"
LOAD_TITLE = "Every model file loads in ONNX Runtime and labels every house"
# BLAS threads beyond the grader's 2 CPUs made a 1 s MLP fit take 9 s on a loaded machine.
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def labels(prices: list[float]) -> list[int]:
    return [1 if price > EXPENSIVE_PRICE else 0 for price in prices]


@dataclass(frozen=True)
class Measured:
    """The results file, the check's own facts on each model file, and the true labels."""

    results: Results
    probed: Probed
    truth: dict[str, list[int]]  # "test" and "holdout" labels
    folder: Path

    def facts(self, name: str) -> ModelFacts:
        """A variant's facts, or the check is blocked because its model did not load."""
        found = self.probed.models.get(name)
        if found is None or found.error or not found.labels:
            blocked(
                f"the {name} model did not load or run in ONNX Runtime",
                hint=f"Make the check '{LOAD_TITLE}' pass first.",
            )
        return found

    def accuracy(self, name: str, table: str) -> float:
        truth, said = self.truth[table], self.facts(name).labels[table]
        if len(said) != len(truth):
            blocked(f"the {name} model gave {len(said)} labels for {len(truth)} rows")
        return sum(a == b for a, b in zip(truth, said, strict=True)) / len(truth)


@pytest.fixture(scope="session")
def libraries() -> str:
    return "ONNX Runtime, skl2onnx, onnx, scikit-learn, pandas and joblib"


@pytest.fixture(scope="session")
def library_errors(run: Run, learner_python: Path) -> list[str]:
    modules = ["onnxruntime", "skl2onnx", "onnx", "sklearn", "pandas", "joblib"]
    return import_errors(run, learner_python, modules)


@pytest.fixture(scope="session")
def optimize_run(run: Run, clean_copy: CleanCopy, learner_python: Path) -> CleanRun:
    """`python optimize.py` once, from a clean copy of the week folder (no models/, no
    results.json)."""
    return run_clean(
        run, clean_copy, learner_python, "optimize.py", outputs=OUTPUTS, timeout=RUN_TIMEOUT,
        env=THREADS,
    )  # fmt: skip


@pytest.fixture(scope="session")
def results_or_problem(optimize_run: CleanRun) -> Results | str:
    """results.json of the clean run, or what is wrong with it."""
    try:
        return read_results(finished(optimize_run, "results").folder)
    except ResultsProblem as exc:
        return str(exc)


@pytest.fixture(scope="session")
def measured(
    results_or_problem: Results | str,
    optimize_run: CleanRun,
    run: Run,
    learner_python: Path,
    held_out: HeldOut,
) -> Measured:
    """Every model file results.json names, measured by the check in the learner's
    interpreter, with the labels of data/raw/test.csv and of the held-out houses."""
    if isinstance(results_or_problem, str):
        blocked(
            f"results.json cannot be used: {results_or_problem}",
            hint=f"Make the check '{RESULTS_TITLE}' pass first.",
        )
    folder, results = optimize_run.folder, results_or_problem
    test = folder / "data" / "raw" / "test.csv"
    probed = probe_models(
        run,
        learner_python,
        {n: folder / v.file for n, v in results.with_files().items() if v.file},
        {"test": test, "holdout": held_out.features(HOLDOUT, drop=[TARGET])},
        preprocess=folder / results.preprocess if results.preprocess else None,
        drop=[TARGET],
    )
    if probed.problem:
        blocked(f"the check's ONNX Runtime probe failed: {probed.problem}")
    truth = {"test": labels(read_prices(test)), "holdout": labels(held_out.column(HOLDOUT, TARGET))}
    return Measured(results, probed, truth, folder)
