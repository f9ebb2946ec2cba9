"""Week 5: the learner's virtual environment holds MLflow, scikit-learn and pandas."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mlops_roadmap.checking import expect

if TYPE_CHECKING:
    from conftest import Facts


@pytest.mark.points(1)
@pytest.mark.hint("Install the week's requirements into the workspace .venv with pip.")
def test_libraries_import(
    facts: Facts, learner_venv: Path | None, learner_python: Path, workspace: Path, week_dir: Path
) -> None:
    """MLflow, scikit-learn and pandas import in the workspace virtual environment"""
    install = f"`.venv/bin/pip install -r {week_dir.name}/requirements.txt`"
    expect(
        learner_venv is not None,
        expected=f"a virtual environment at {workspace / '.venv'}",
        found="no .venv in the workspace root or in the week folder",
        hint=f"From the workspace root: `python -m venv .venv`, then {install}.",
    )
    expect(
        not facts.import_errors,
        expected=f"mlflow, scikit-learn and pandas to import with {learner_python}",
        found="cannot import " + "; ".join(facts.import_errors),
        hint=f"From the workspace root: {install}.",
    )
