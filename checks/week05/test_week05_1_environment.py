"""Week 5: the learner's virtual environment holds MLflow, scikit-learn and pandas."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_checks.environment import expect_imports, expect_venv
from mlops_checks.mlflow_probe import Facts


@pytest.mark.points(1)
@pytest.mark.hint("Install the week's requirements into the workspace .venv with pip.")
def test_libraries_import(
    facts: Facts, learner_venv: Path | None, learner_python: Path, workspace: Path, week_dir: Path
) -> None:
    """MLflow, scikit-learn and pandas import in the workspace virtual environment"""
    expect_venv(learner_venv, workspace, week_dir)
    what = "mlflow, scikit-learn and pandas"
    expect_imports(facts.import_errors, what, learner_python, week_dir)
