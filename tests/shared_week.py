"""One prepared workspace shared by a module's check cases: the week's scaffold and a virtual
environment made once (as `course verify` makes them), the week folder put back to the fresh
scaffold before each case. Used by the week 1 and week 2 case tests. Also the pieces case tests
of other weeks share: a prepared template workspace, a private copy of it, and `check --json`
read by key."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap import course
from mlops_roadmap.commands import verify
from tests.conftest import REPO, Cli


@dataclass(frozen=True)
class Shared:
    workspace: Path
    week: Path
    pristine: Path  # the fresh scaffold, copied back before each case

    def reset(self) -> Path:
        """The week folder, put back to the fresh scaffold."""
        shutil.rmtree(self.week)
        shutil.copytree(self.pristine, self.week, symlinks=True)
        return self.week

    @contextmanager
    def venv_away(self) -> Iterator[None]:
        """The workspace's .venv moved aside for one case, and put back."""
        venv, away = self.workspace / ".venv", self.workspace / ".venv-away"
        venv.rename(away)
        try:
            yield
        finally:
            away.rename(venv)


def prepare(factory: pytest.TempPathFactory, number: int) -> Shared:
    """The workspace for week ``number``'s cases, with its fresh scaffold kept aside."""
    base = factory.mktemp(f"week{number:02d}-cases")
    plan = course.load(REPO)
    week = plan.plan.week(number)
    ws = verify.prepare(plan, week, base / "ws", with_solution=False)
    pristine = base / "pristine"
    shutil.copytree(ws.week_dir(week), pristine, symlinks=True)
    return Shared(ws.root, ws.week_dir(week), pristine)


def template(factory: pytest.TempPathFactory, number: int, *, solved: bool) -> Path:
    """A workspace prepared as `course verify` prepares it (solution or scaffold): its root,
    copied by each case with :func:`copy_of`."""
    plan = course.load(REPO)
    base = factory.mktemp("solved" if solved else "scaffold")
    return verify.prepare(plan, plan.plan.week(number), base / "ws", with_solution=solved).root


def copy_of(workspace: Path, tmp_path: Path) -> Path:
    """A private copy of a template workspace (its root)."""
    ws = tmp_path / "ws"
    shutil.copytree(workspace, ws, symlinks=True)
    return ws


def check_by_key(
    cli: Cli, week: Path, titles: dict[str, str], select: str | None = None, timeout: float = 600
) -> dict[str, Any]:
    """`mlops-roadmap check --json` in a week folder (no traceback, no error verdict): the
    checks that ran, by the key ``titles`` gives their titles."""
    args: list[str | Path] = ["--course", REPO, "check", "--json"]
    args += ["-k", select] if select else []
    result = cli(*args, cwd=week, timeout=timeout)
    assert "Traceback" not in result.stderr, result.stderr
    data = json.loads(result.stdout)
    assert data["counts"]["error"] == 0, data
    by_title = {c["title"]: c for c in data["checks"]}
    return {key: by_title[title] for key, title in titles.items() if title in by_title}
