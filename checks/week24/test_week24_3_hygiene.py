"""Week 24: what the portfolio would publish (the files git would commit in the week folder and
in each project folder it links to) holds no file over 50 MB and no secret, now or in history."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Project, portfolio_folders

from mlops_checks.committed import git_files, scan_committed
from mlops_roadmap.checking import blocked, expect_none
from mlops_roadmap.fixtures import Run

LIMIT = 50 * 1024 * 1024  # GitHub refuses files over 100 MB and warns from 50 MB


def folders(week_dir: Path, projects: list[Project], workspace: Path) -> list[Path]:
    """What the portfolio publishes; blocked until PORTFOLIO.md links a project."""
    if not projects:
        blocked(
            "PORTFOLIO.md links no project yet, so what the portfolio publishes is not known",
            hint="Link your three projects from PORTFOLIO.md (see the check on three projects).",
        )
    return portfolio_folders(week_dir, projects, workspace)


def _shown(path: Path, week_dir: Path) -> str:
    try:
        return path.relative_to(week_dir).as_posix()
    except ValueError:
        return str(path)


@pytest.mark.requires("git")
@pytest.mark.hint(
    "Keep data, models and recordings out of git: list them in .gitignore and version them "
    "with DVC or a release asset, and link to them."
)
def test_no_large_files(run: Run, projects: list[Project], workspace: Path, week_dir: Path) -> None:
    """No file of the portfolio that git would commit is over 50 MB"""
    large = []
    for folder in folders(week_dir, projects, workspace):
        for name in git_files(run, folder):
            path = folder / name
            if not path.is_symlink() and path.is_file() and path.stat().st_size > LIMIT:
                size = path.stat().st_size / 1024 / 1024
                large.append(f"{_shown(path, week_dir)} ({size:.0f} MB)")
    expect_none(large, expected="no file git would commit over 50 MB", shown=6)


@pytest.mark.points(2)
@pytest.mark.requires("git")
@pytest.mark.hint(
    "Remove the secret, rotate it (it is leaked once committed), rewrite the history (git "
    "filter-repo), and read secrets from the environment; keep local values in a git-ignored .env."
)
def test_no_secrets(run: Run, projects: list[Project], workspace: Path, week_dir: Path) -> None:
    """A secret scan of the portfolio's files and their git history finds nothing"""
    findings = []
    for folder in folders(week_dir, projects, workspace):
        prefix = "" if folder == week_dir else f"{_shown(folder, week_dir)}/"
        findings += [f"{prefix}{f}" for f in scan_committed(run, folder)]
    expect_none(
        findings,
        expected="no credential, password or token, random-looking key or .env file in what "
        "git would commit from the portfolio and its projects, nor in their history",
        shown=6,
    )
