"""Week 2: the learner's virtual environment holds scikit-learn, pandas and joblib."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap.checking import expect, fail

MODULES = {"sklearn": "scikit-learn", "pandas": "pandas", "joblib": "joblib"}
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


@pytest.mark.points(1)
@pytest.mark.hint("Install the week's requirements into the workspace .venv with pip.")
def test_libraries_import(
    run: Callable[..., Any],
    learner_venv: Path | None,
    learner_python: Path,
    workspace: Path,
    week_dir: Path,
) -> None:
    """scikit-learn, pandas and joblib import in the workspace virtual environment"""
    install = f"`.venv/bin/pip install -r {week_dir.name}/requirements.txt`"
    hint = f"From the workspace root: {install}."
    expect(
        learner_venv is not None,
        expected=f"a virtual environment at {workspace / '.venv'}",
        found="no .venv in the workspace root or in the week folder",
        hint=f"From the workspace root: `python -m venv .venv`, then {install}.",
    )
    result = run([learner_python, "-c", PROBE, *MODULES], timeout=120)
    if result.returncode != 0:
        fail(expected=f"{learner_python} to start", found=result.tail(5), hint=hint)
    lines = result.stdout.strip().splitlines()
    missing = json.loads(lines[-1]) if lines else ["anything (the probe printed nothing)"]
    expect(
        not missing,
        expected=f"{', '.join(MODULES.values())} to import with {learner_python}",
        found="cannot import " + "; ".join(missing),
        hint=hint,
    )
