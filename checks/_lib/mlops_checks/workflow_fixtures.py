"""Shared fixture for the GitHub Actions weeks (15, 22): the workflows GitHub would run for the
week, read once.

The learner's workspace is the repository (`mlops-roadmap init` made it a git repository with
its own `.github/workflows/mlops-roadmap.yml`). GitHub runs only the workflows in
`.github/workflows/` at the repository root, and `paths:` filters are relative to that root: a
week's workflow lives there and names the week folder (`weekNN-slug/**`) in its `paths:`
filters or its `working-directory`. A week opts in with
``pytest_plugins = ["mlops_checks.workflow_fixtures"]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from mlops_checks import workflows
from mlops_checks.workflows import Workflow
from mlops_roadmap.checking import fail

FIRST = "Make the check 'A workflow at the repository root runs for this week's folder' pass first."


@dataclass(frozen=True)
class Found:
    folder: str  # the week folder, relative to the repository root
    root: Path  # the repository root: the workspace
    workflows: list[Workflow]  # those about this week
    unreadable: list[str]  # root workflow files that are not YAML mappings
    others: list[str]  # root workflows about something else
    misplaced: list[str]  # workflow-like files and repositories GitHub never sees

    def text(self, workflow: Workflow) -> str:
        return workflow.path.read_text(encoding="utf-8")

    def required(self) -> list[Workflow]:
        """The week's workflows, or a failure asking for the first check."""
        if not self.workflows:
            fail(
                expected="a workflow in .github/workflows/ at the workspace root that runs "
                f"for {self.folder}/",
                found="none",
                hint=FIRST,
            )
        return self.workflows


def drafts(week_dir: Path) -> list[str]:
    """Workflow files in the week folder itself (GitHub never runs them)."""
    out = workflows.misplaced(week_dir)
    for path in sorted(week_dir.glob("*.y*ml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and "jobs" in data:
            out.append(f"{week_dir.name}/{path.name}")
    return out


@pytest.fixture(scope="session")
def found(workspace: Path, week_dir: Path) -> Found:
    folder = week_dir.relative_to(workspace).as_posix()
    every = workflows.at_root(workspace)
    mine = [w for w in every if not w.error and workflows.concerns(w, folder)]
    return Found(
        folder,
        workspace,
        mine,
        [f"{w.name} ({w.error})" for w in every if w.error],
        [w.name for w in every if not w.error and w not in mine],
        drafts(week_dir),
    )
