"""A learner's workspace: a git repository with a ``.mlops-roadmap/`` folder holding the state."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mlops_roadmap import __version__, procs
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.roadmap import Roadmap, Week
from mlops_roadmap.state import Store

MARKER = ".mlops-roadmap"
ENV_VAR = "MLOPS_ROADMAP_WORKSPACE"
GITIGNORE = """\
# mlops-roadmap
.venv/
__pycache__/
.mlops-roadmap/state.db*
.mlops-roadmap/backups/
"""
WORKFLOW = Path(".github", "workflows", "mlops-roadmap.yml")


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def state_path(self) -> Path:
        return self.root / MARKER / "state.db"

    def store(self) -> Store:
        return Store.open(self.state_path)

    def week_dir(self, week: Week) -> Path:
        return self.root / week.folder

    def laid_record(self, week: Week) -> Path:
        """The record of what the scaffold laid in ``week``'s folder (see ``laid``)."""
        return self.root / MARKER / "scaffolds" / f"{week.id}.json"

    def backup_dir(self) -> Path:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        return self.root / MARKER / "backups" / stamp

    def commit(self) -> str | None:
        """The workspace's current git commit, when it has one."""
        result = procs.run(["git", "rev-parse", "HEAD"], cwd=self.root, timeout=10)
        return result.stdout.strip() or None if result.returncode == 0 else None

    def week_from_path(self, plan: Roadmap, path: Path) -> Week | None:
        """The week whose folder contains ``path``, by the path as given (through a symlinked
        week folder) or as it really is."""
        given, real = Path(os.path.normpath(path.absolute())), path.resolve()
        for week in plan.weeks:
            folder = self.root / week.folder
            for here, there in ((given, folder), (real, folder.resolve())):
                if here == there or there in here.parents:
                    return week
        return None


def init(path: Path) -> Workspace:
    """Make ``path`` a workspace (idempotent: an existing workspace is left as it is)."""
    if path.exists() and not path.is_dir():
        raise RoadmapError(f"{path}: exists and is not a folder: choose another path")
    (path / MARKER).mkdir(parents=True, exist_ok=True)
    root = path.resolve()
    if not (root / ".git").exists():
        if shutil.which("git") is None:
            raise RoadmapError("git is not on PATH: install git, then run `mlops-roadmap init`")
        result = procs.run(["git", "init", "-q", "-b", "main", str(root)], timeout=30)
        if result.returncode != 0:
            raise RoadmapError(f"{root}: `git init` failed: {result.tail(3)}")
    _write_once(root / ".gitignore", GITIGNORE)
    _write_once(root / WORKFLOW, workflow_text())
    Store.open(root / MARKER / "state.db", create=True).close()
    return Workspace(root)


def _write_once(path: Path, text: str) -> None:
    """Give a new workspace ``path``; a file already there is the learner's and is kept."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def workflow_text() -> str:
    """The GitHub Actions workflow that checks every week on each push, pinned to this release."""
    template = Path(__file__).with_name("workflow.yml").read_text(encoding="utf-8")
    return template.replace("__VERSION__", __version__)


def find(start: Path | None = None) -> Workspace:
    """The workspace containing ``start`` (or $MLOPS_ROADMAP_WORKSPACE, or the current folder)."""
    if start is None and os.environ.get(ENV_VAR):
        start = Path(os.environ[ENV_VAR])
    given = Path(os.path.normpath(start.absolute())) if start else current_folder()
    here = given.resolve()
    for folder in dict.fromkeys((given, *given.parents, here, *here.parents)):
        if (folder / MARKER).is_dir():
            return Workspace(folder)
    raise RoadmapError(
        f"{here}: not inside an mlops-roadmap workspace: run `mlops-roadmap init DIR` and "
        "work inside DIR (or pass --workspace)"
    )


def current_folder() -> Path:
    """The current folder as the shell names it ($PWD: through a symlinked week folder, inside
    the workspace), else as it really is."""
    real = Path.cwd()
    shell = os.environ.get("PWD", "")
    if os.path.isabs(shell):
        try:
            if os.path.samefile(shell, real):
                return Path(os.path.normpath(shell))
        except OSError:
            pass
    return real
