"""A generated class for grading tests and the grading benchmark: real student repositories.

One workspace is laid out as a learner would (``init``, the week's scaffold), then each student
is a copy with its own ``train.py`` (the reference solution, the fresh scaffold, or a hostile
program), committed to its own git repository at a given time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from mlops_roadmap import course, scaffold, workspace
from tests.timing import scaled

REPO = Path(__file__).resolve().parent.parent
WEEK = 2
COMMITTED = "2026-12-01T12:00:00+00:00"


def template(root: Path) -> tuple[Path, str]:
    """A workspace holding week 2's fresh scaffold; returns it and the week folder's name."""
    c = course.load(REPO)
    week = c.plan.week(WEEK)
    ws = workspace.init(root)
    scaffold.lay(c, week, ws, ws.week_dir(week), force=False)
    return ws.root, week.folder


def solution() -> str:
    return (REPO / "solutions" / f"week{WEEK:02d}" / "train.py").read_text(encoding="utf-8")


def student(
    template_root: Path,
    folder: str,
    dest: Path,
    train_py: str | None,
    when: str = COMMITTED,
    extra: dict[str, str] | None = None,
) -> Path:
    """A student's repository: the template with ``train.py`` replaced (None keeps the scaffold).

    ``extra`` maps paths inside the week folder to file text, or to ``-> target`` for a symlink.
    """
    shutil.copytree(template_root, dest, ignore=shutil.ignore_patterns(".git", ".venv"))
    week_dir = dest / folder
    if train_py is not None:
        (week_dir / "train.py").write_text(train_py, encoding="utf-8")
    for name, text in (extra or {}).items():
        path = week_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if text.startswith("-> "):
            path.unlink(missing_ok=True)
            path.symlink_to(text[3:])
        else:
            path.write_text(text, encoding="utf-8")
    commit(dest, "my work", when)
    return dest


def commit(repo: Path, message: str, when: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_AUTHOR_NAME": "student",
        "GIT_AUTHOR_EMAIL": "student@example.edu",
        "GIT_COMMITTER_NAME": "student",
        "GIT_COMMITTER_EMAIL": "student@example.edu",
    }
    if not (repo / ".git").is_dir():
        subprocess.run(
            ["git", "init", "-q", "-b", "main"], cwd=repo, check=True, timeout=scaled(30)
        )
    for args in (["add", "-A"], ["commit", "-q", "--allow-empty", "-m", message]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, timeout=scaled(30))


def roster(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    lines = ["id,name,repo"] + [f'{i},"{n}",{r}' for i, n, r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
