"""The workspace's state store: a versioned SQLite file recording every attempt.

SQLite's journal keeps it consistent when a process is killed mid-write, and its locking (with a
busy timeout) lets ``watch`` and ``check`` write at once. A corrupt store or one of a newer format
is reported, never replaced.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_roadmap.errors import RoadmapError

if TYPE_CHECKING:  # `status` reads attempts only: results loads when verdicts are read back
    from mlops_roadmap.results import Outcome

VERSION = 1
BUSY_SECONDS = 30
SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    week TEXT NOT NULL,
    at TEXT NOT NULL,
    commit_sha TEXT,
    duration REAL NOT NULL,
    passed INTEGER NOT NULL,
    total INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    attempt_id INTEGER NOT NULL REFERENCES attempts(id),
    check_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    message TEXT NOT NULL,
    duration REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    week TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_week ON attempts(week);
"""


@dataclass(frozen=True)
class Attempt:
    """One recorded run of a week's checks."""

    week: str
    at: str
    commit: str | None
    duration: float
    passed: int
    total: int

    @property
    def all_passed(self) -> bool:
        return self.total > 0 and self.passed == self.total


@dataclass(frozen=True)
class StoredVerdict:
    """One check's verdict as an attempt recorded it."""

    check_id: str
    outcome: Outcome
    message: str
    duration: float


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """Open with ``Store.open(path)``; every write is one transaction."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path, create: bool = False) -> Store:
        """Open (and, when ``create``, make) the store; waits while another process holds it."""
        if not path.exists() and not create:
            raise RoadmapError(f"{path}: no state store: run `mlops-roadmap init` in the workspace")
        deadline = time.monotonic() + BUSY_SECONDS
        while True:
            conn = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
            try:
                _prepare(conn, path)
                return cls(conn, path)
            except sqlite3.OperationalError as exc:
                conn.close()
                # Switching to WAL or creating the schema does not wait on a busy lock: retry.
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise _unreadable(path, exc) from None
                time.sleep(0.05)
            except sqlite3.DatabaseError as exc:
                conn.close()
                raise _unreadable(path, exc) from None
            except BaseException:
                conn.close()
                raise

    def close(self) -> None:
        self._conn.close()

    def record_attempt(self, attempt: Attempt, verdicts: list[StoredVerdict]) -> None:
        with _transaction(self._conn):
            self._conn.execute("BEGIN IMMEDIATE")
            cur = self._conn.execute(
                "INSERT INTO attempts(week, at, commit_sha, duration, passed, total) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    attempt.week,
                    attempt.at,
                    attempt.commit,
                    attempt.duration,
                    attempt.passed,
                    attempt.total,
                ),
            )
            self._conn.executemany(
                "INSERT INTO results VALUES (?, ?, ?, ?, ?)",
                [(cur.lastrowid, v.check_id, v.outcome, v.message, v.duration) for v in verdicts],
            )
            self._conn.execute("COMMIT")

    def record_event(self, week: str, kind: str, detail: str = "") -> None:
        with _transaction(self._conn):
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute(
                "INSERT INTO events(week, kind, detail, at) VALUES (?, ?, ?, ?)",
                (week, kind, detail, now()),
            )
            self._conn.execute("COMMIT")

    def attempts(self, week: str | None = None) -> list[Attempt]:
        sql = "SELECT week, at, commit_sha, duration, passed, total FROM attempts"
        rows = self._conn.execute(
            sql + (" WHERE week = ? ORDER BY id" if week else " ORDER BY id"),
            (week,) if week else (),
        )
        return [Attempt(*row) for row in rows]

    def events(self, kind: str) -> list[tuple[str, str, str]]:
        rows = self._conn.execute(
            "SELECT week, detail, at FROM events WHERE kind = ? ORDER BY id", (kind,)
        )
        return list(rows)

    def count_events(self, week: str, kind: str) -> int:
        row = self._conn.execute(
            "SELECT COUNT(*) FROM events WHERE week = ? AND kind = ?", (week, kind)
        ).fetchone()
        return int(row[0])

    def last_verdicts(self, week: str) -> list[StoredVerdict]:
        rows = self._conn.execute(
            "SELECT check_id, outcome, message, duration FROM results WHERE attempt_id = "
            "(SELECT MAX(id) FROM attempts WHERE week = ?)",
            (week,),
        )
        from mlops_roadmap.results import as_outcome

        return [StoredVerdict(c, as_outcome(o), m, d) for c, o, m, d in rows]


def _prepare(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > VERSION:
        raise RoadmapError(
            f"{path}: state format {version} is newer than this mlops-roadmap "
            f"understands ({VERSION}): upgrade mlops-roadmap"
        )
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode=WAL")
    if version < VERSION:
        with _transaction(conn):
            conn.executescript(f"BEGIN IMMEDIATE;{SCHEMA}PRAGMA user_version={VERSION};COMMIT;")


def _unreadable(path: Path, exc: Exception) -> RoadmapError:
    return RoadmapError(
        f"{path}: the state store is unreadable ({exc}); it was left as it is: move it "
        "aside and run `mlops-roadmap init` again to start a fresh one"
    )


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
