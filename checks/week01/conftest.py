"""Week 1 fixtures: one clean-start run of analysis.py, shared by the checks that inspect it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap.checking import blocked

RUN_TIMEOUT = 240  # seconds for `python analysis.py` (the solution takes about 6)
OUTPUTS = ("reports", "models")  # left out of the clean copy: the run makes them


@dataclass(frozen=True)
class CleanRun:
    """analysis.py run once in a fresh copy of the week folder."""

    folder: Path
    returncode: int
    timed_out: bool
    output_tail: str
    timeout: float = RUN_TIMEOUT

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


@pytest.fixture(scope="module")
def analysis_run(
    run: Callable[..., Any],
    clean_copy: Callable[..., Path],
    learner_python: Path,
) -> CleanRun:
    """Run `python analysis.py` from a clean copy of the week folder (once per module)."""
    folder = clean_copy(*OUTPUTS)
    if not (folder / "analysis.py").is_file():
        return CleanRun(folder, 2, False, "analysis.py is missing from the week folder")
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
    result = run([learner_python, "analysis.py"], cwd=folder, timeout=RUN_TIMEOUT, env=env)
    return CleanRun(folder, result.returncode, result.timed_out, result.tail(8))


@pytest.fixture(scope="module")
def finished_run(analysis_run: CleanRun) -> CleanRun:
    """The clean run, or the check is blocked because analysis.py did not finish."""
    if not analysis_run.ok:
        blocked(
            "analysis.py did not finish from a clean start, so its outputs cannot be inspected",
            hint="Make the check 'analysis.py runs from a clean start' pass first.",
        )
    return analysis_run


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
