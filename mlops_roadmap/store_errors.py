"""What went wrong with the state store, in words that name the file and the fix.

Every failure of the store (read-only, locked by another program, a full disk, damage) becomes a
``RoadmapError`` that says which, and that the learner's progress is kept: only a store that
cannot be read is worth moving aside, and only a damaged one may be started afresh.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from mlops_roadmap.errors import RoadmapError

BUSY_SECONDS = 30.0
WAIT_ENV = "MLOPS_ROADMAP_STORE_WAIT"  # seconds to wait on another program's lock
KEPT = "your progress in it is unchanged"
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_FULL = 5, 6, 10, 13  # primary result codes
P = ParamSpec("P")
R = TypeVar("R")


class HasPath(Protocol):
    path: Path


S = TypeVar("S", bound=HasPath)


def wait_seconds() -> float:
    """How long to wait for another program's lock: $MLOPS_ROADMAP_STORE_WAIT, else 30 s."""
    try:
        wait = float(os.environ.get(WAIT_ENV, "") or BUSY_SECONDS)
    except ValueError:
        return BUSY_SECONDS
    return wait if 0 <= wait < 86_400 else BUSY_SECONDS


def guarded(
    doing: str,
) -> Callable[[Callable[Concatenate[S, P], R]], Callable[Concatenate[S, P], R]]:
    """Turn a store method's failures (read-only, locked, full disk, damage) into
    ``RoadmapError``."""

    def wrap(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
        @wraps(method)
        def guarded(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                raise failure(self.path, exc, doing) from None

        return guarded

    return wrap


def no_space(folder: Path) -> bool:
    """Whether the file system holding ``folder`` is full (an I/O error may mean just that)."""
    try:
        return os.statvfs(folder).f_bavail == 0
    except OSError:
        return False


def read_only(exc: BaseException) -> bool:
    """Whether ``exc`` says the store or its folder may not be written (or read) here."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
    text = str(exc).lower()
    return any(word in text for word in ("readonly", "read-only", "unable to open", "permission"))


def failure(path: Path, exc: BaseException, doing: str) -> RoadmapError:
    """What went wrong with the store at ``path`` while it was to ``doing`` it, and the fix."""
    text = str(exc).lower()
    if isinstance(exc, OSError):
        code, sql = exc.errno, None
    else:
        code, sql = None, getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if (
        code in (errno.ENOSPC, errno.EDQUOT)
        or sql == SQLITE_FULL
        or "disk is full" in text
        or (sql == SQLITE_IOERR and no_space(path.parent))
    ):
        fix = "the disk is full: free some space, then run the command again"
    elif read_only(exc):
        places = f"{path} {path.parent}" if path.exists() else str(path.parent)
        fix = (
            f"it or its folder is read-only or not yours ({exc}): give yourself access "
            f"(`chmod u+rw {places}`), then run the command again"
        )
    elif sql in (SQLITE_BUSY, SQLITE_LOCKED) or "locked" in text:
        fix = (
            f"another program holds it locked (waited {wait_seconds():g} s): close that program "
            "(a database browser, another mlops-roadmap), then run the command again"
        )
    elif "no such table" in text or "no such column" in text:
        return damaged(path, str(exc))
    elif isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return unreadable(path, str(exc))
    else:
        fix = f"{exc}: check the disk, then run the command again"
    kept = KEPT if path.exists() else "no store was made"
    return RoadmapError(f"{path}: cannot {doing} the state store: {fix}; {kept}")


def unreadable(path: Path, why: str) -> RoadmapError:
    return RoadmapError(
        f"{path}: the state store is unreadable ({why}); it was left as it is: put back a copy "
        "if you have one, else move it aside and run `mlops-roadmap init` again to start a "
        "fresh one"
    )


def damaged(path: Path, why: str) -> RoadmapError:
    return RoadmapError(
        f"{path}: the state store is damaged ({why}); it was left as it is: put back a copy if "
        "you have one, else move it aside and run `mlops-roadmap init` again to start a fresh "
        "one (the moved file keeps what it still holds)"
    )
