"""Week 1 fixtures: one clean-start run of analysis.py, shared by the checks that inspect it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlops_checks.clean_run import CleanRun, finished, run_clean
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import CleanCopy, Run

RUN_TIMEOUT = 240  # seconds for `python analysis.py` (the solution takes about 6)
OUTPUTS = ("reports", "models")  # left out of the clean copy: the run makes them


@pytest.fixture(scope="module")
def analysis_run(run: Run, clean_copy: CleanCopy, learner_python: Path) -> CleanRun:
    """Run `python analysis.py` from a clean copy of the week folder (once per module)."""
    env = {"MPLBACKEND": "Agg"}
    return run_clean(
        run,
        clean_copy,
        learner_python,
        "analysis.py",
        outputs=OUTPUTS,
        timeout=RUN_TIMEOUT,
        env=env,
    )


@pytest.fixture(scope="module")
def finished_run(analysis_run: CleanRun) -> CleanRun:
    """The clean run, or the check is blocked because analysis.py did not finish."""
    return finished(analysis_run, "outputs")


@pytest.fixture(scope="module")
def stats(finished_run: CleanRun) -> dict[str, Any]:
    """reports/stats.json as written by the clean run, or blocked when it is unusable."""
    path = finished_run.folder / "reports" / "stats.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict):
        blocked(
            "reports/stats.json is missing or is not a JSON object",
            hint="Make the check 'analysis.py writes reports/stats.json' pass first.",
        )
    return data
