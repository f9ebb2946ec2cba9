"""Week 1: the learner's virtual environment holds the data-science stack."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap.checking import blocked, expect, fail

LIBRARIES = ("numpy", "pandas", "matplotlib", "seaborn")
PROBE = """
import importlib, json, sys
missing = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception as exc:
        missing.append(f"{name} ({type(exc).__name__}: {exc})")
print(json.dumps(missing))
"""
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
    run: Callable[..., Any], learner_venv: Path | None, learner_python: Path, week_dir: Path
) -> None:
    """numpy, pandas, matplotlib and seaborn import in the virtual environment"""
    hint = INSTALL_HINT.format(folder=week_dir.name)
    if learner_venv is None:
        blocked("there is no virtual environment to import from yet", hint=hint)
    result = run([learner_python, "-c", PROBE, *LIBRARIES], timeout=120)
    if result.returncode != 0:
        fail(expected=f"{learner_python} to start", found=result.tail(5), hint=hint)
    lines = result.stdout.strip().splitlines()
    missing = json.loads(lines[-1]) if lines else ["anything (the probe printed nothing)"]
    expect(
        not missing,
        expected=f"{', '.join(LIBRARIES)} to import with {learner_python}",
        found="cannot import " + "; ".join(missing),
        hint=hint,
    )
