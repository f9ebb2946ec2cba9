"""The workspace's state store: a versioned SQLite file recording every attempt.

SQLite's journal keeps it consistent when a process is killed mid-write, and its locking (with a
busy timeout) lets ``watch`` and ``check`` write at once. ``store_file`` makes the file whole and
refuses, read-only, what is not a store this tool made (an empty file, another program's
database, a damaged or newer store); ``store_errors`` turns every later failure (read-only,
locked, disk full) into a message with the fix. A store is never replaced, re-initialised or
switched to WAL unless it is one of ours, and the learner's progress is kept.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_roadmap import store_file
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.store_errors import failure, guarded, read_only, wait_seconds

if TYPE_CHECKING:  # `status` reads attempts only: results loads when verdicts are read back
    from mlops_roadmap.results import Outcome

VERSION = 1
TABLES = ("attempts", "results", "events")
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


OFFLINE = "passed offline"  # the event of an attempt that passed all but its external checks


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
        if path.is_dir():
            raise RoadmapError(
                f"{path}: a folder stands where the state store should be: move it aside "
                "(your progress is not in it), then run `mlops-roadmap init` in the workspace"
            )
        if not path.exists():
            if not create:
                raise RoadmapError(
                    f"{path}: no state store: run `mlops-roadmap init` in the workspace"
                )
            store_file.create(path, SCHEMA, VERSION)
        store_file.inspect(path, VERSION)
        try:
            conn = store_file.connect(path, VERSION, TABLES, wait_seconds())
        except sqlite3.Error as exc:
            # A read-only folder holds no WAL index: read the file as it is, when it is whole.
            if not read_only(exc) or store_file.unfinished(path):
                raise failure(path, exc, "open") from None
            try:
                conn = store_file.connect(path, VERSION, TABLES, 0, read_only=True)
            except sqlite3.Error:
                raise failure(path, exc, "open") from None
        return cls(conn, path)

    def close(self) -> None:
        self._conn.close()

    @guarded("record in")
    def record_attempt(
        self, attempt: Attempt, verdicts: list[StoredVerdict], offline: str = ""
    ) -> None:
        """The attempt and its verdicts; with ``offline`` (what its blocked checks need from
        outside this machine), also a ``passed offline`` event, in the same transaction."""
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
            if offline:
                self._conn.execute(
                    "INSERT INTO events(week, kind, detail, at) VALUES (?, ?, ?, ?)",
                    (attempt.week, OFFLINE, offline, attempt.at),
                )
            self._conn.execute("COMMIT")

    @guarded("record in")
    def record_event(self, week: str, kind: str, detail: str = "") -> None:
        with _transaction(self._conn):
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute(
                "INSERT INTO events(week, kind, detail, at) VALUES (?, ?, ?, ?)",
                (week, kind, detail, now()),
            )
            self._conn.execute("COMMIT")

    @guarded("read")
    def attempts(self, week: str | None = None) -> list[Attempt]:
        sql = "SELECT week, at, commit_sha, duration, passed, total FROM attempts"
        rows = self._conn.execute(
            sql + (" WHERE week = ? ORDER BY id" if week else " ORDER BY id"),
            (week,) if week else (),
        )
        return [Attempt(*row) for row in rows]

    @guarded("read")
    def events(self, kind: str) -> list[tuple[str, str, str]]:
        rows = self._conn.execute(
            "SELECT week, detail, at FROM events WHERE kind = ? ORDER BY id", (kind,)
        )
        return list(rows)

    @guarded("read")
    def count_events(self, week: str, kind: str) -> int:
        row = self._conn.execute(
            "SELECT COUNT(*) FROM events WHERE week = ? AND kind = ?", (week, kind)
        ).fetchone()
        return int(row[0])

    @guarded("read")
    def last_verdicts(self, week: str) -> list[StoredVerdict]:
        rows = self._conn.execute(
            "SELECT check_id, outcome, message, duration FROM results WHERE attempt_id = "
            "(SELECT MAX(id) FROM attempts WHERE week = ?)",
            (week,),
        )
        from mlops_roadmap.results import as_outcome

        return [StoredVerdict(c, as_outcome(o), m, d) for c, o, m, d in rows]


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise
