"""Week 2: the learner's virtual environment holds scikit-learn, pandas and joblib."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_checks.environment import expect_imports, expect_venv, import_errors
from mlops_roadmap.fixtures import Run

MODULES = {"sklearn": "scikit-learn", "pandas": "pandas", "joblib": "joblib"}


@pytest.mark.points(1)
@pytest.mark.hint("Install the week's requirements into the workspace .venv with pip.")
def test_libraries_import(
    run: Run,
    learner_venv: Path | None,
    learner_python: Path,
    workspace: Path,
    week_dir: Path,
) -> None:
    """scikit-learn, pandas and joblib import in the workspace virtual environment"""
    expect_venv(learner_venv, workspace, week_dir)
    errors = import_errors(run, learner_python, list(MODULES))
    expect_imports(errors, ", ".join(MODULES.values()), learner_python, week_dir)
