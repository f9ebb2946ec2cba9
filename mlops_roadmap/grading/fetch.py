"""Fetching students' repositories with GitPython into a cache that later runs reuse.

Each repository is a bare cache (no work tree, so no checkout filters or hooks ever run), fetched
with transports limited to https, ssh and local files (``GIT_ALLOW_PROTOCOL``), prompts off and a
timeout. The graded tree is exported from a commit with ``git archive`` and unpacked without
following links: a symbolic link that points outside the repository, by its text or through
other links, is dropped and reported. Every problem is a ``FetchFailed`` for that student.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mlops_roadmap import procs
from mlops_roadmap.grading.model import Student

FETCH_TIMEOUT = 300  # seconds for one clone or fetch
LOCAL_TIMEOUT = 120  # seconds for git's work on the cache (rev-list, ls-tree, archive)
MAX_TREE_BYTES = 512 * 1024 * 1024  # a submission's files, unpacked
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
class Fetched:
    """A student's repository in the cache, at its tip."""

    path: Path
    tip: str


@dataclass(frozen=True)
class Pick:
    """The commit graded for a deadline, and what came after it."""

    commit: str | None  # None: nothing at all to grade
    late_commits: int
    late_days: float  # how late the graded commit is (0 when on time)


def cache_path(cache: Path, student: Student) -> Path:
    key = hashlib.sha256(f"{student.repo}\n{student.branch or ''}".encode()).hexdigest()[:16]
    return cache / f"{student.id}-{key}.git"


def fetch(student: Student, url: str, cache: Path, timeout: float = FETCH_TIMEOUT) -> Fetched:
    """Clone or update ``student``'s repository in ``cache``; raise FetchFailed on any problem."""
    import git

    path = cache_path(cache, student)
    ref = f"refs/heads/{student.branch}" if student.branch else "HEAD"
    try:
        repo = git.Repo(path) if path.is_dir() else git.Repo.init(path, bare=True, mkdir=True)
        with repo:
            repo.git.execute(
                [
                    "git",
                    "fetch",
                    "--no-tags",
                    "--force",
                    "--no-recurse-submodules",
                    "--",
                    url,
                    f"+{ref}:{TIP}",
                ],
                env=SAFE_ENV,
                kill_after_timeout=timeout,
            )
            tip = repo.git.rev_parse(TIP)
    except git.GitCommandError as exc:
        raise FetchFailed(_why(exc, timeout)) from None
    except (git.GitError, OSError, ValueError) as exc:
        raise FetchFailed(f"{type(exc).__name__}: {exc}") from None
    return Fetched(path, tip)


def _why(exc: Exception, timeout: float) -> str:
    text = str(getattr(exc, "stderr", "") or exc).strip().replace("stderr: ", "")
    if getattr(exc, "status", None) in (-9, 9, -15) or "timeout" in text.lower():
        return f"git fetch did not finish within {timeout:g} s"
    lines = [ln.strip(" '") for ln in text.splitlines() if ln.strip(" '")]
    fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
    return "git fetch failed: " + ((fatal or lines)[0] if lines else "no output")


def pick(fetched: Fetched, deadline: datetime | None) -> Pick:
    """The last commit at or before ``deadline`` on the tip's first-parent line."""
    import git

    if deadline is None:
        return Pick(fetched.tip, 0, 0.0)
    try:
        with git.Repo(fetched.path) as repo:
            stamp = f"@{int(deadline.timestamp())}"
            limit = {"kill_after_timeout": LOCAL_TIMEOUT}
            before = repo.git.rev_list("-1", "--first-parent", f"--before={stamp}", TIP, **limit)
            late = repo.git.rev_list("--first-parent", f"--after={stamp}", TIP, **limit).split()
            days = 0.0
            if late:
                last = repo.commit(TIP).committed_date
                days = max(0.0, (last - deadline.timestamp()) / 86400)
    except (git.GitError, OSError, ValueError) as exc:
        raise FetchFailed(f"could not read the history: {type(exc).__name__}: {exc}") from None
    return Pick(before or None, len(late), days)


def export(fetched: Fetched, commit: str, dest: Path) -> list[str]:
    """Unpack ``commit``'s tree into ``dest`` (new); return notes on what was left out.

    The tree's size is read from git before anything is written, so a huge (or highly
    compressible) tree is refused without unpacking it; the archive is spooled to disk.
    """
    size = tree_bytes(fetched, commit)
    if size > MAX_TREE_BYTES:
        raise FetchFailed(f"the tree at {commit[:12]} holds {size >> 20} MB: over the limit")
    archive = dest.with_name(dest.name + ".tar")
    done = procs.run(
        ["git", "-C", fetched.path, "archive", "--format=tar", f"--output={archive}", commit],
        timeout=LOCAL_TIMEOUT,
        env={**os.environ, **SAFE_ENV},
    )
    if done.returncode != 0:
        raise FetchFailed(f"git archive failed at {commit[:12]}: {done.tail(1)}")
    dest.mkdir(parents=True)
    notes: list[str] = []
    try:
        with tarfile.open(archive) as tar:
            members = []
            for member in tar.getmembers():
                if member.issym() and not _inside(dest, member):
                    notes.append(_left(member))
                elif not (member.isfile() or member.isdir() or member.issym()):
                    notes.append(f"dropped {member.name} (not a file, folder or symlink)")
                else:
                    members.append(member)
            tar.extractall(dest, members=members, filter=_data_filter(notes))
        notes += _drop_links_out(dest)
    except (tarfile.TarError, OSError, ValueError) as exc:
        raise FetchFailed(f"could not unpack the tree at {commit[:12]}: {exc}") from None
    finally:
        archive.unlink(missing_ok=True)
    return notes


def _left(member: tarfile.TarInfo) -> str:
    return f"dropped symlink {member.name} -> {member.linkname} (leaves the repo)"


def _data_filter(notes: list[str]) -> Callable[[tarfile.TarInfo, str], tarfile.TarInfo | None]:
    """tarfile's ``data`` filter, dropping (with a note) a member it refuses instead of failing
    the whole tree: a link can pass the text check and still leave through links before it."""

    def keep(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
        try:
            return tarfile.data_filter(member, dest)
        except tarfile.FilterError as exc:
            notes.append(_left(member) if member.issym() else f"dropped {member.name} ({exc})")
            return None

    return keep


def _drop_links_out(dest: Path) -> list[str]:
    """Links that resolve outside ``dest`` now that every link is on disk (the filter judged
    each link before the links after it existed); removed, with a note for each."""
    root, notes = dest.resolve(), list[str]()
    for folder, dirs, files in os.walk(dest):
        for name in dirs + files:
            path = Path(folder, name)
            if path.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(root):
                shown = f"{path.relative_to(dest)} -> {os.readlink(path)}"
                notes.append(f"dropped symlink {shown} (leaves the repo)")
                path.unlink()
    return notes


def tree_bytes(fetched: Fetched, commit: str) -> int:
    """What the files of ``commit``'s tree hold, from git's object sizes."""
    import git

    try:
        with git.Repo(fetched.path) as repo:
            listing = repo.git.ls_tree("-r", "-l", commit, kill_after_timeout=LOCAL_TIMEOUT)
    except (git.GitError, OSError, ValueError) as exc:
        raise FetchFailed(f"could not list the tree at {commit[:12]}: {exc}") from None
    sizes = (line.split(None, 4)[3] for line in listing.splitlines() if line.strip())
    return sum(int(size) for size in sizes if size.isdigit())


def _inside(dest: Path, member: tarfile.TarInfo) -> bool:
    if os.path.isabs(member.linkname):
        return False
    target = os.path.normpath(os.path.join(os.path.dirname(member.name), member.linkname))
    return not target.startswith("..") and target != ".."
