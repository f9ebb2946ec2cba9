"""The state store: concurrent writers, a kill mid-write, corruption and newer formats."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.state import Attempt, Store
from tests.timing import scaled, wait_until

WRITER = """
import sys
from mlops_roadmap.state import Attempt, Store, StoredVerdict
store = Store.open(__import__("pathlib").Path(sys.argv[1]), create=True)
for i in range(int(sys.argv[3])):
    store.record_attempt(Attempt(sys.argv[2], "t", None, 0.1, 1, 2),
                         [StoredVerdict("a", "passed", "", 0.0), StoredVerdict("b", "failed", "x", 0.0)])
print("done", flush=True)
"""


def writer(db: Path, week: str, n: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), week, str(n)], stdout=subprocess.PIPE, text=True
    )


def recorded(db: Path) -> int:
    """How many attempts a writer has committed so far (0 before it made the store)."""
    if not db.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0])
    except sqlite3.OperationalError:  # no schema yet, or the store is busy
        return 0


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    procs = [writer(db, "week01", 150), writer(db, "week02", 150)]
    assert [p.wait(timeout=scaled(120)) for p in procs] == [0, 0]
    store = Store.open(db)
    assert len(store.attempts("week01")) == 150
    assert len(store.attempts("week02")) == 150
    assert len(store.last_verdicts("week01")) == 2


def test_kill_mid_write_leaves_store_consistent(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    proc = writer(db, "week01", 100_000)
    wait_until(lambda: recorded(db) >= 50, 60, "the writer recorded nothing")
    proc.send_signal(signal.SIGKILL)  # in the middle of its 100,000 attempts
    proc.wait(timeout=scaled(10))
    store = Store.open(db)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    attempts = conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
    results = conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    assert attempts > 0
    assert results == 2 * attempts  # no attempt without its results, and no orphan results
    store.record_event("week01", "start")  # still writable


def test_corrupt_store_is_reported_and_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(RoadmapError, match=r"the state store is unreadable .* move it aside"):
        Store.open(db)
    assert db.read_bytes() == b"this is not a database" * 100


def test_newer_store_format_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    Store.open(db, create=True).close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version=9")
    conn.close()
    with pytest.raises(RoadmapError, match="state format 9 is newer than this mlops-roadmap"):
        Store.open(db)


def test_attempt_all_passed() -> None:
    assert Attempt("w", "t", None, 1, 2, 2).all_passed
    assert not Attempt("w", "t", None, 1, 1, 2).all_passed
    assert not Attempt("w", "t", None, 1, 0, 0).all_passed
