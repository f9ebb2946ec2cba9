"""Week 3's checks judged both ways. The wrong submissions are in tests/test_week03_dvc.py
(a finished project broken with git and DVC, one fault per test); here, right submissions
written from the lesson, not from the solution (tests/fixtures/week03/), must pass every check:

- lesson-commands: README.md's commands as written, a remote added by a relative path, the
  train stage made by `dvc stage add`, step 6's ridge kept;
- evaluate-stage: three stages (metrics and plots in an evaluate stage, a whole params section
  as a dependency), a remote of another name by an absolute path, the second data version
  written by pandas.

Each builds a workspace as `course verify` does (scaffold, venv), lays the case's files and runs
its commands.sh as `course verify` runs a solution's prepare.sh: about 30 s, so slow.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlops_roadmap import course, venvs
from mlops_roadmap.commands import verify
from tests.conftest import FIXTURES, REPO, Cli
from tests.test_week03_dvc import FOLDER, TITLES, check, outcome, probes_running, tree_hashes

CASES = FIXTURES / "week03"


@pytest.mark.slow
@pytest.mark.parametrize("case", ["lesson-commands", "evaluate-stage"])
def test_right_submission_passes(cli: Cli, tmp_path: Path, case: str) -> None:
    plan = course.load(REPO)
    ws = verify.prepare(plan, plan.plan.week(3), tmp_path / "ws", with_solution=False)
    week = ws.root / FOLDER
    shutil.copytree(
        CASES / case, week, dirs_exist_ok=True, ignore=shutil.ignore_patterns("commands.sh")
    )
    verify.run_prepare(CASES / case / "commands.sh", week, venvs.venv_python(ws.root / ".venv"))
    before = tree_hashes(week)
    checks = check(cli, ws.root)
    assert {k: outcome(checks, k) for k in TITLES} == dict.fromkeys(TITLES, "passed"), checks
    assert tree_hashes(week) == before
    assert probes_running(ws.root) == []
