"""Week 3: DVC is installed, and the week folder is a DVC project inside the git repository."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import commit_state, project_problem

from mlops_roadmap.checking import blocked, expect, fail

MIN_MAJOR = 3  # the lesson and requirements.txt ask for DVC 3


@pytest.mark.points(1)
@pytest.mark.hint("Install the week's requirements into the workspace .venv with pip.")
def test_dvc_installed(
    inspection: dict[str, Any], learner_venv: Path | None, workspace: Path, week_dir: Path
) -> None:
    """DVC is installed in the workspace virtual environment"""
    pip = f"`.venv/bin/pip install -r {week_dir.name}/requirements.txt`"
    install = f"From the workspace root: {pip}."
    expect(
        learner_venv is not None,
        expected=f"a virtual environment at {workspace / '.venv'}",
        found="no .venv in the workspace root or in the week folder",
        hint=f"From the workspace root: `python -m venv .venv`, then {pip}.",
    )
    error = inspection.get("error") or {}
    if error.get("kind") in ("import", "probe"):
        fail(expected="`import dvc` to work in it", found=error["message"], hint=install)
    if error.get("kind") == "timeout":
        blocked(error["message"], "Run `dvc version` in the week folder and see what it waits for.")
    version = str(inspection.get("version", "0"))
    major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0
    expect(
        major >= MIN_MAJOR,
        expected=f"DVC {MIN_MAJOR} or newer",
        found=f"DVC {version}",
        hint=f"`.venv/bin/pip install 'dvc>={MIN_MAJOR}.50'` from the workspace root.",
    )


@pytest.mark.points(1)
@pytest.mark.requires("git")
@pytest.mark.hint("From the week folder: `dvc init --subdir`, then commit .dvc and .dvcignore.")
def test_dvc_project(inspection: dict[str, Any], run: Any, week_dir: Path, workspace: Path) -> None:
    """The week folder is a DVC project inside the git repository"""
    error = inspection.get("error") or {}
    if error.get("kind") in ("import", "probe", "timeout"):
        blocked(
            f"DVC does not run in the workspace environment: {error['message']}",
            "Make the check 'DVC is installed in the workspace virtual environment' pass first.",
        )
    problem = project_problem(inspection, week_dir)
    if problem is not None:
        found, hint = problem
        fail(
            expected=f"a DVC project in {week_dir.name}/ (its own .dvc folder) inside the git "
            f"repository {inspection.get('git_root') or workspace}",
            found=found,
            hint=hint,
        )
    uncommitted = commit_state(run, week_dir, [".dvc/config"])
    expect(
        uncommitted is None,
        expected=".dvc/config committed to git, so that a clone is a DVC project too",
        found=str(uncommitted),
        hint="`git add .dvc .dvcignore && git commit -m 'Initialise DVC'` in the week folder.",
    )
