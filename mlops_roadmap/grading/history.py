"""Which commit each deadline grades, on a fetched repository's first-parent line.

A deadline grades the last first-parent commit at or before it (by commit date, as
``git rev-list --before`` reads it); for a week, only later commits that changed the week's own
folder make it late, so work on a later week never costs an earlier one. Commit dates are the
student's to write: an author date far from its commit date is flagged for the instructor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from mlops_roadmap.grading.fetch import (
    LOCAL_TIMEOUT,
    TIP,
    Commit,
    Fetched,
    FetchFailed,
    first_parents,
)
from mlops_roadmap.grading.model import late_words

DATE_SKEW_HOURS = 24  # author and commit dates further apart than this are flagged


@dataclass(frozen=True)
class Pick:
    """The commit graded for a deadline, and what came after it."""

    commit: str | None  # None: nothing at all to grade
    late_commits: int
    late_days: float  # how late the graded commit is (0 when on time)


def pick(fetched: Fetched, deadline: datetime | None, folder: str | None = None) -> Pick:
    """The last commit at or before ``deadline`` on the tip's first-parent line (the first
    one walking back from the tip), and the first-parent commits after it: all of them, or,
    given a week's ``folder``, those that changed it (work on other weeks makes no week late),
    with the lateness of the newest of them."""
    if deadline is None:
        return Pick(fetched.tip, 0, 0.0)
    stamp = deadline.timestamp()
    line = fetched.line or _read_line(fetched)
    late = next((i for i, c in enumerate(line) if c.committed <= stamp), len(line))
    if late == len(line) and not fetched.complete:
        raise FetchFailed(f"the history was not fetched back to {deadline.isoformat()}")
    commit = line[late].sha if late < len(line) else None
    after = line[:late] if folder is None or not late else _changes(fetched, line, commit, folder)
    days = max(0.0, (after[0].committed - stamp) / 86400) if after else 0.0
    return Pick(commit, len(after), days)


def _changes(
    fetched: Fetched, line: tuple[Commit, ...], since: str | None, folder: str
) -> tuple[Commit, ...]:
    """The first-parent commits after ``since`` (all, if None) that changed ``folder``."""
    import git

    span = f"{since}..{TIP}" if since else TIP
    try:
        with git.Repo(fetched.path) as repo:
            text = repo.git.log(
                "--first-parent",
                "--format=%H",
                span,
                "--",
                folder,
                kill_after_timeout=LOCAL_TIMEOUT,
            )
    except (git.GitError, OSError, ValueError) as exc:
        raise FetchFailed(f"could not read the history: {type(exc).__name__}: {exc}") from None
    changed = set(text.split())
    return tuple(c for c in line if c.sha in changed)


def _read_line(fetched: Fetched) -> tuple[Commit, ...]:
    import git

    try:
        with git.Repo(fetched.path) as repo:
            return tuple(first_parents(repo)[0])
    except (git.GitError, OSError, ValueError) as exc:
        raise FetchFailed(f"could not read the history: {type(exc).__name__}: {exc}") from None


def date_flags(fetched: Fetched, sha: str | None) -> tuple[str, ...]:
    """What is odd about the dates of commit ``sha``: an author date far after its commit date
    (the commit date, which deadlines go by, may have been set back) or far before it
    (back-dated, or rebased or amended much later)."""
    commit = next((c for c in fetched.line if c.sha == sha), None)
    skew = abs(commit.authored - commit.committed) if commit else 0
    if sha is None or commit is None or skew <= DATE_SKEW_HOURS * 3600:
        return ()
    apart = late_words(skew / 86400)
    when = f"author date {_iso(commit.authored)}, commit date {_iso(commit.committed)}"
    if commit.authored > commit.committed:
        return (f"{sha[:12]}: written {apart} after it was committed ({when})",)
    return (f"{sha[:12]}: authored {apart} before it was committed ({when})",)


def _iso(stamp: int) -> str:
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
