"""Fetching students' repositories with GitPython into a cache that later runs reuse.

Each repository is a bare cache (no work tree, so no checkout filters or hooks ever run), fetched
with transports limited to https, ssh and local files (``GIT_ALLOW_PROTOCOL``), prompts off and a
timeout. Fetches are shallow: the tip alone, deepened only until the first-parent line reaches
the earliest deadline, so a huge file deleted from history long ago is never fetched; what was
fetched is held to a size limit. Every problem is a ``FetchFailed`` for that student.
(``history`` picks the commit each deadline grades; ``unpack`` turns it into the tree a sandbox
grades.)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_roadmap.grading.model import Limits, Student

if TYPE_CHECKING:
    import git

FETCH_TIMEOUT = 300  # seconds for one clone or fetch, deepening included
LOCAL_TIMEOUT = 120  # seconds for git's work on the cache (log, ls-tree, archive)
TIP = "refs/grading/tip"
SAFE_ENV = {
    "GIT_ALLOW_PROTOCOL": "https:ssh:file",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o ConnectTimeout=20",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_COUNT": "2",
    "GIT_CONFIG_KEY_0": "core.hooksPath",
    "GIT_CONFIG_VALUE_0": os.devnull,
    "GIT_CONFIG_KEY_1": "protocol.ext.allow",
    "GIT_CONFIG_VALUE_1": "never",
}


class FetchFailed(Exception):
    """The repository could not be fetched (the message says why); recorded for the student."""


@dataclass(frozen=True)
class Commit:
    """A commit of the tip's first-parent line, with both of its times (Unix seconds)."""

    sha: str
    committed: int  # what deadlines go by, as `git rev-list --before` does
    authored: int


@dataclass(frozen=True)
class Fetched:
    """A student's repository in the cache, at its tip."""

    path: Path
    tip: str
    line: tuple[Commit, ...] = ()  # the tip's first-parent line, newest first, as fetched
    complete: bool = True  # the line reaches the first commit (not cut by a shallow fetch)


def cache_path(cache: Path, student: Student) -> Path:
    key = hashlib.sha256(f"{student.repo}\n{student.branch or ''}".encode()).hexdigest()[:16]
    return cache / f"{student.id}-{key}.git"


def fetch(
    student: Student,
    url: str,
    cache: Path,
    timeout: float = FETCH_TIMEOUT,
    deadlines: Sequence[datetime] = (),
    repo_mb: int = Limits.repo_mb,
) -> Fetched:
    """Fetch ``student``'s tip into ``cache``, and as much of its first-parent line as the
    earliest of ``deadlines`` needs (at least one commit at or before it, or all of it); raise
    FetchFailed on any problem, and when what was fetched holds more than ``repo_mb``."""
    import git

    path = cache_path(cache, student)
    ref = f"refs/heads/{student.branch}" if student.branch else "HEAD"
    earliest = min((d.timestamp() for d in deadlines), default=None)
    started = time.monotonic()
    try:
        repo = git.Repo(path) if path.is_dir() else git.Repo.init(path, bare=True, mkdir=True)
        with repo:
            _fetch(repo, url, ref, "--depth=1", timeout)
            line, complete = first_parents(repo)
            while earliest is not None and not complete and line[-1].committed > earliest:
                left = timeout - (time.monotonic() - started)
                if left <= 0:
                    raise FetchFailed(f"git fetch did not finish within {timeout:g} s")
                _fetch(repo, url, ref, f"--deepen={len(line)}", left)
                before, (line, complete) = len(line), first_parents(repo)
                complete = complete or len(line) == before  # the server gave no more
    except git.GitCommandError as exc:
        raise FetchFailed(_why(exc, timeout)) from None
    except (git.GitError, OSError, ValueError) as exc:
        raise FetchFailed(f"{type(exc).__name__}: {exc}") from None
    _hold_to(path, repo_mb)
    return Fetched(path, line[0].sha, tuple(line), complete)


def _fetch(repo: git.Repo, url: str, ref: str, depth: str, left: float) -> None:
    repo.git.execute(
        ["git", "fetch", "--no-tags", "--force", "--no-recurse-submodules", depth,
         "--", url, f"+{ref}:{TIP}"],
        env=SAFE_ENV,
        kill_after_timeout=left,
    )  # fmt: skip


def first_parents(repo: git.Repo) -> tuple[list[Commit], bool]:
    """The tip's first-parent line as far as it was fetched, and whether that is all of it."""
    text = repo.git.log(
        "--first-parent", "--format=%H %ct %at", TIP, kill_after_timeout=LOCAL_TIMEOUT
    )
    line = [Commit(sha, int(ct), int(at)) for sha, ct, at in (r.split() for r in text.splitlines())]
    if not line:
        raise FetchFailed("the repository has no commits")
    shallow = Path(repo.git_dir, "shallow")
    cut = shallow.is_file() and line[-1].sha in shallow.read_text().split()
    return line, not cut


def _hold_to(path: Path, repo_mb: int) -> None:
    """Refuse (and remove) a cache holding more than ``repo_mb`` after the fetch."""
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    if size > repo_mb << 20:
        shutil.rmtree(path, ignore_errors=True)
        raise FetchFailed(
            f"the repository holds {size >> 20} MB as fetched (the tip and the history the "
            f"deadline needs): over the grader's limit of {repo_mb} MB"
        )


def _why(exc: Exception, timeout: float) -> str:
    text = str(getattr(exc, "stderr", "") or exc).strip().replace("stderr: ", "")
    if getattr(exc, "status", None) in (-9, 9, -15) or "timeout" in text.lower():
        return f"git fetch did not finish within {timeout:g} s"
    lines = [ln.strip(" '") for ln in text.splitlines() if ln.strip(" '")]
    fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
    return "git fetch failed: " + ((fatal or lines)[0] if lines else "no output")
