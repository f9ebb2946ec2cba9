"""Week 21 fixtures: drift.py run from a clean copy on the check's own batches, one run after
another in the learner's interpreter (``drift_runs``, from the course library's
``mlops_checks.drift_fixtures``, which week 23 shares), and the libraries the week imports.
"""

from __future__ import annotations

import pytest

from mlops_checks.drift_fixtures import DriftRuns
from mlops_roadmap.checking import blocked

pytest_plugins = ["mlops_checks.drift_fixtures"]


@pytest.fixture(scope="session")
def libraries() -> str:
    """What the week's environment must import, for the shared check's message."""
    return "Evidently 0.7 and pandas 2"


@pytest.fixture(scope="session")
def library_errors(drift_runs: DriftRuns) -> list[str]:
    """The libraries that did not import in the learner's interpreter (tried before the runs)."""
    if drift_runs.session.problem:
        blocked(f"the learner's interpreter did not report: {drift_runs.session.problem}")
    return drift_runs.session.import_errors
