"""The graded tree on disk: a fetched commit unpacked for a sandbox, within the grader's limits.

The tree's files and bytes are counted from git's listing before anything is written, so a tree
of 60,000 tiny files or one huge (or highly compressible) file is refused without unpacking it;
what is unpacked must be done within ``Limits.unpack_seconds``. The tree is exported with
``git archive`` (spooled to disk) and unpacked without following links: a symbolic link that
points outside the repository, by its text or through other links, is dropped and reported.
Every problem is a ``FetchFailed`` for that student.
"""

from __future__ import annotations

import os
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

from mlops_roadmap import procs
from mlops_roadmap.grading.fetch import LOCAL_TIMEOUT, SAFE_ENV, Fetched, FetchFailed
from mlops_roadmap.grading.model import Limits


class _OutOfTime(Exception):
    """Unpacking went past its limit (raised between two members)."""


def export(fetched: Fetched, commit: str, dest: Path, limits: Limits | None = None) -> list[str]:
    """Unpack ``commit``'s tree into ``dest`` (new); return notes on what was left out."""
    limits = limits or Limits()
    started = time.monotonic()
    files, size = tree_size(fetched, commit)
    over = _over(files, size, limits)
    if over:
        raise FetchFailed(f"the tree at {commit[:12]} holds {over}")
    archive, deadline = dest.with_name(dest.name + ".tar"), started + limits.unpack_seconds
    done = procs.run(
        ["git", "-C", fetched.path, "archive", "--format=tar", f"--output={archive}", commit],
        timeout=max(0.1, min(LOCAL_TIMEOUT, deadline - time.monotonic())),
        env={**os.environ, **SAFE_ENV},
    )
    too_slow = f"unpacking the tree at {commit[:12]} took over {limits.unpack_seconds:g} s"
    if done.timed_out:
        archive.unlink(missing_ok=True)
        raise FetchFailed(too_slow)
    if done.returncode != 0:
        raise FetchFailed(f"git archive failed at {commit[:12]}: {done.tail(1)}")
    dest.mkdir(parents=True)
    notes: list[str] = []
    try:
        with tarfile.open(archive) as tar:
            members = []
            for member in tar.getmembers():
                if member.issym() and not _inside(member):
                    notes.append(_left(member))
                elif not (member.isfile() or member.isdir() or member.issym()):
                    notes.append(f"dropped {member.name} (not a file, folder or symlink)")
                else:
                    members.append(member)
            keep = _data_filter(notes, deadline)
            tar.extractall(dest, members=members, filter=keep)
        notes += _drop_links_out(dest)
    except _OutOfTime:
        raise FetchFailed(too_slow) from None
    except (tarfile.TarError, OSError, ValueError) as exc:
        raise FetchFailed(f"could not unpack the tree at {commit[:12]}: {exc}") from None
    finally:
        archive.unlink(missing_ok=True)
    return notes


def _over(files: int, size: int, limits: Limits) -> str:
    """What of the tree is over the limits, in words ("" when nothing is)."""
    if files > limits.tree_files:
        return f"{files:,} files: over the grader's limit of {limits.tree_files:,} (tree_files)"
    if size > limits.tree_mb << 20:
        return f"{size >> 20:,} MB: over the grader's limit of {limits.tree_mb:,} MB (tree_mb)"
    return ""


def tree_size(fetched: Fetched, commit: str) -> tuple[int, int]:
    """How many entries ``commit``'s tree has (files, links, submodules) and what its files
    hold, from git's listing and object sizes."""
    import git

    try:
        with git.Repo(fetched.path) as repo:
            listing = repo.git.ls_tree("-r", "-l", "-z", commit, kill_after_timeout=LOCAL_TIMEOUT)
    except (git.GitError, OSError, ValueError) as exc:
        raise FetchFailed(f"could not list the tree at {commit[:12]}: {exc}") from None
    entries = [entry.split(None, 4) for entry in listing.split("\0") if entry.strip()]
    return len(entries), sum(int(e[3]) for e in entries if len(e) > 3 and e[3].isdigit())


def _left(member: tarfile.TarInfo) -> str:
    return f"dropped symlink {member.name} -> {member.linkname} (leaves the repo)"


def _data_filter(
    notes: list[str], deadline: float
) -> Callable[[tarfile.TarInfo, str], tarfile.TarInfo | None]:
    """tarfile's ``data`` filter, dropping (with a note) a member it refuses instead of failing
    the whole tree: a link can pass the text check and still leave through links before it.
    Past ``deadline`` it stops the unpacking."""

    def keep(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
        if time.monotonic() > deadline:
            raise _OutOfTime
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


def _inside(member: tarfile.TarInfo) -> bool:
    if os.path.isabs(member.linkname):
        return False
    target = os.path.normpath(os.path.join(os.path.dirname(member.name), member.linkname))
    return not target.startswith("..") and target != ".."
