"""Week 1: the learner's virtual environment holds the data-science stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_checks.environment import expect_imports, import_errors
from mlops_roadmap.checking import blocked, expect
from mlops_roadmap.fixtures import Run

LIBRARIES = ("numpy", "pandas", "matplotlib", "seaborn")
INSTALL_HINT = (
    "From the workspace root: `python -m venv .venv`, then "
    "`.venv/bin/pip install -r {folder}/requirements.txt`."
)


@pytest.mark.points(1)
@pytest.mark.hint("Create it once at the workspace root: `python -m venv .venv`.")
def test_virtual_environment_exists(learner_venv: Path | None, workspace: Path) -> None:
    """A virtual environment exists at the workspace root"""
    expect(
        learner_venv is not None,
        expected=f"a virtual environment at {workspace / '.venv'} (with bin/python inside)",
        found="no .venv in the workspace root or in the week folder",
        hint="From the workspace root run `python -m venv .venv`.",
    )


@pytest.mark.points(1)
@pytest.mark.hint("Install the week's requirements into the workspace .venv with pip.")
def test_libraries_import(
    run: Run, learner_venv: Path | None, learner_python: Path, week_dir: Path
) -> None:
    """numpy, pandas, matplotlib and seaborn import in the virtual environment"""
    hint = INSTALL_HINT.format(folder=week_dir.name)
    if learner_venv is None:
        blocked("there is no virtual environment to import from yet", hint=hint)
    errors = import_errors(run, learner_python, LIBRARIES)
    expect_imports(errors, ", ".join(LIBRARIES), learner_python, week_dir)
