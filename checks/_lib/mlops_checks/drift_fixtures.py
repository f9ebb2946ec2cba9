"""drift.py run from a clean copy on the check's own batches, one run after another in the
learner's interpreter (Evidently is imported once: it costs 10-25 s of CPU): the ``drift_runs``
fixture of week 21's checks, and of the weeks that carry its drift.py on (the capstone, week 23).

A week opts in with ``pytest_plugins = ["mlops_checks.drift_fixtures"]`` in its conftest. The
batches are samples of the held-out Ames sales (features only) made with a new seed each time
(``mlops_checks.drift_batches``); the reports are read as saved JSON, so Evidently never loads
in the engine's process.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlops_checks import HOLDOUT, TARGET
from mlops_checks.drift_batches import Batches, make_batches
from mlops_checks.drift_reports import DriftReport, ReportProblem, read_report
from mlops_checks.repeated_runs import Planned, ScriptRun, Session, run_repeatedly
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.checking import blocked, fail
from mlops_roadmap.fixtures import CleanCopy, Run

SCRIPT = "drift.py"
DEFAULT_SHARE = 0.3  # the lesson's default for --drift-share
RAISED, LOWERED = 0.9, 0.1  # the thresholds the check passes with --drift-share
HTML, JSON, HISTORY = "reports/drift.html", "reports/drift.json", "reports/drift_history.csv"
# Room for one Evidently import (66-70 s wall on a loaded 2-CPU machine) and five reports
# (2-4 s each); the solution takes about 25 s on a quiet one.
RUNS_TIMEOUT = 300
# BLAS and OpenMP threads beyond the machine's 2 CPUs only slow a shared grader down.
RUNS_TITLE = "drift.py runs on each of the check's batches, exits 0 or 1 and writes its reports"
REPORTS_TITLE = "Every run's reports are an HTML page and an Evidently JSON report with tests"
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass(frozen=True)
class DriftRuns:
    """drift.py's runs on the check's batches, in the order they ran."""

    batches: Batches
    session: Session

    def get(self, name: str) -> ScriptRun:
        """One run, or the check is blocked because the runs did not report."""
        if self.session.problem:
            blocked(
                f"drift.py's runs did not finish: {self.session.problem}",
                hint="Run `python drift.py data/raw/train.csv data/raw/test.csv` yourself from "
                "the week folder and fix what stops it.",
            )
        return self.session.runs[name]

    def report(self, name: str) -> DriftReport:
        """The JSON report one run wrote, or the check is blocked because there is none."""
        try:
            return read_report(finished(self, name).kept / Path(JSON).name)
        except ReportProblem as exc:
            blocked(
                f"no drift report to read from the run on {self.describe(name)}: {exc}",
                hint=f"Make the check '{REPORTS_TITLE}' pass first.",
            )

    def written(self, name: str) -> DriftReport:
        """The JSON report one run wrote, or the check fails saying what is there instead."""
        path = finished(self, name).kept / Path(JSON).name
        if not path.is_file():
            blocked(
                f"the run on {self.describe(name)} wrote no {JSON}",
                hint=f"Make the check '{RUNS_TITLE}' pass first.",
            )
        try:
            return read_report(path)
        except ReportProblem as exc:
            fail(
                expected=f"{JSON} from the run on {self.describe(name)}: an Evidently report "
                "saved with snapshot.save_json(...)",
                found=str(exc),
                hint="Save the snapshot run() returned: snapshot.save_json('reports/drift.json') "
                "(Evidently 0.7's Report from `from evidently import Report`, not the legacy one).",
            )

    def describe(self, name: str) -> str:
        """What the check passed in one run, for messages."""
        ran = self.get(name)
        batch = {"shifted-raised": "shifted", "mild-lowered": "mild"}.get(name, name)
        what = (
            "roles reversed: the stable batch as reference, the training data (price "
            "included) as current"
            if name == "reversed"
            else self.batches.describe(batch)
        )
        options = " ".join(ran.args[2:])
        return f"{what}{f' ({options})' if options else ''}"

    def threshold(self, name: str) -> float:
        args = self.get(name).args
        return (
            float(args[args.index("--drift-share") + 1])
            if "--drift-share" in args
            else DEFAULT_SHARE
        )


def finished(drift_runs: DriftRuns, name: str) -> ScriptRun:
    """A run that ended with a decision (exit 0 or 1), or the check is blocked."""
    ran = drift_runs.get(name)
    if ran.crashed or ran.returncode not in (0, 1):
        blocked(
            f"drift.py did not finish on {drift_runs.describe(name)}",
            hint=f"Make the check '{RUNS_TITLE}' pass first.",
        )
    return ran


def plan(batches: Batches) -> list[Planned]:
    ref, stable = str(batches.reference), str(batches.stable)
    return [
        Planned("stable", (ref, stable)),
        Planned("shifted", (ref, str(batches.shifted))),
        Planned("shifted-raised", (ref, str(batches.shifted), "--drift-share", str(RAISED))),
        Planned("mild-lowered", (ref, str(batches.mild), "--drift-share", str(LOWERED))),
        Planned("reversed", (stable, ref)),
    ]


@pytest.fixture(scope="session")
def drift_runs(
    run: Run,
    clean_copy: CleanCopy,
    learner_python: Path,
    held_out: HeldOut,
    course_data: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> DriftRuns:
    """Run drift.py from a clean copy (no reports/) on each of the check's batches."""
    folder = clean_copy("reports")
    seed = random.SystemRandom().randrange(1, 1_000_000)
    batches = make_batches(
        held_out.features(HOLDOUT, drop=[TARGET]),
        course_data / "ames" / "train.csv",
        tmp_path_factory.mktemp("batches"),
        seed,
    )
    session = run_repeatedly(
        run,
        learner_python,
        folder,
        SCRIPT,
        plan(batches),
        fresh=(HTML, JSON),
        keep=(HTML, JSON, HISTORY),
        preload=("pandas", "evidently"),
        timeout=RUNS_TIMEOUT,
        env=THREADS,
    )
    return DriftRuns(batches, session)
