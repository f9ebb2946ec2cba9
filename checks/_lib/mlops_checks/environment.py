"""The learner's virtual environment: it exists, and the week's libraries import in it.

``test_libraries_import`` is a shared check: a week's test module collects it
(``test_libraries_import = environment.test_libraries_import``) and its conftest gives the
fixtures ``libraries`` (what must import, for the message) and ``library_errors`` (what did not).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from mlops_roadmap.checking import expect, fail
from mlops_roadmap.fixtures import Run

IMPORT_PROBE = """
import importlib, json, sys
missing = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception as exc:
        missing.append(f"{name} ({type(exc).__name__}: {exc})")
print(json.dumps(missing))
"""
PROBE_TIMEOUT = 120


def install_hint(week_dir: Path) -> str:
    return f"From the workspace root: `.venv/bin/pip install -r {week_dir.name}/requirements.txt`."


def expect_venv(learner_venv: Path | None, workspace: Path, week_dir: Path) -> None:
    """Fail unless the workspace (or the week folder) has a virtual environment."""
    expect(
        learner_venv is not None,
        expected=f"a virtual environment at {workspace / '.venv'} (with bin/python inside)",
        found="no .venv in the workspace root or in the week folder",
        hint="From the workspace root: `python -m venv .venv`, then "
        f"`.venv/bin/pip install -r {week_dir.name}/requirements.txt`.",
    )


def import_errors(run: Run, python: Path, modules: Sequence[str]) -> list[str]:
    """The modules that do not import with ``python``, each with its error."""
    result = run([python, "-c", IMPORT_PROBE, *modules], timeout=PROBE_TIMEOUT)
    if result.returncode != 0:
        fail(expected=f"{python} to start", found=result.tail(5), hint="Recreate the .venv.")
    lines = result.stdout.strip().splitlines()
    return list(json.loads(lines[-1])) if lines else ["anything (the probe printed nothing)"]


def expect_imports(errors: Sequence[str], what: str, python: Path, week_dir: Path) -> None:
    """Fail when ``errors`` (from ``import_errors`` or a probe) is not empty."""
    expect(
        not errors,
        expected=f"{what} to import with {python}",
        found="cannot import " + "; ".join(errors),
        hint=install_hint(week_dir),
    )


@pytest.mark.points(1)
@pytest.mark.hint("Install the week's requirements into the workspace .venv with pip.")
def test_libraries_import(
    libraries: str,
    library_errors: list[str],
    learner_venv: Path | None,
    learner_python: Path,
    workspace: Path,
    week_dir: Path,
) -> None:
    """The week's libraries import in the workspace virtual environment"""
    expect_venv(learner_venv, workspace, week_dir)
    expect_imports(library_errors, libraries, learner_python, week_dir)
