"""The files of a folder that git would commit, and what every commit added to it: what a
secret scan or a size limit judges (git-ignored files, such as .env or mlflow.db, stay local).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlops_checks import secret_scan as scanner
from mlops_roadmap.checking import blocked

GIT_TIMEOUT = 60
SKIP_DIRS = {".venv", "venv", "__pycache__", ".git", ".ipynb_checkpoints", ".pytest_cache"}


def git_files(run: Callable[..., Any], folder: Path) -> list[str]:
    """The files of ``folder`` that git tracks or would add, relative to it."""
    result = run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=folder,
        timeout=GIT_TIMEOUT,
    )
    if result.returncode != 0:
        blocked(
            f"`git ls-files` failed in {folder}: {result.tail(3)}",
            hint="Work inside the workspace, the git repository `mlops-roadmap init` made.",
        )
    names = sorted({n for n in result.stdout.split("\0") if n})
    return [n for n in names if not SKIP_DIRS & set(Path(n).parts)]


def history(run: Callable[..., Any], folder: Path) -> str:
    """Every commit's added lines under ``folder`` (empty before the first commit)."""
    result = run(
        ["git", "log", "-p", "-U0", "--all", "--no-color", "--no-ext-diff", "--format=commit %H",
         "--", "."],
        cwd=folder,
        timeout=GIT_TIMEOUT,
    )  # fmt: skip
    return result.stdout if result.returncode == 0 else ""


def scan_committed(run: Callable[..., Any], folder: Path) -> list[scanner.Finding]:
    """Secrets in the files of ``folder`` git would commit (a .env among them is one) and in
    the lines its commits added."""
    findings: list[scanner.Finding] = []
    for name in git_files(run, folder):
        path = folder / name
        if Path(name).name == ".env":
            findings.append(
                scanner.Finding(name, "a .env file that git would commit", "it is not ignored")
            )
        try:
            if path.is_symlink() or path.stat().st_size > scanner.MAX_BYTES:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue  # binary: a model, an image
        findings += scanner.scan_text(name, data.decode("utf-8", errors="replace"))
    return findings + scanner.scan_history(history(run, folder))
