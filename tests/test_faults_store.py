"""The state store under faults: what the tool cannot use it refuses with the path and the fix,
never re-initialising or touching it (its bytes are compared), and what it cannot write to
(read-only, not yours, locked, a full disk) it says so, keeping the learner's progress. A check's
report is shown before the store's error."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.faults import (
    Faulty,
    digest,
    full_disk,
    make_started,
    no_override,
    read_only,
    started_copy,
)
from tests.timing import scaled

READ_ONLY = "it or its folder is read-only or not yours"
KEPT = "your progress in it is unchanged"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_started(tmp_path_factory.mktemp("started"))


@pytest.fixture
def copy(tmp_path: Path, template: Path) -> tuple[Path, Path]:
    return started_copy(tmp_path, template)


@pytest.fixture
def ws(copy: tuple[Path, Path]) -> Path:
    """A workspace with week 1 started and one attempt recorded."""
    return copy[1]


@pytest.fixture
def faulty(copy: tuple[Path, Path], tmp_path: Path) -> Faulty:
    return Faulty(copy[0], tmp_path / "home")


def store(ws: Path) -> Path:
    return ws / ".mlops-roadmap" / "state.db"


def execute(db: Path, *sql: str) -> None:
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        for statement in sql:
            conn.execute(statement)


@pytest.mark.parametrize("command", [["hint"], ["start", "1"], ["check", "1"]])
def test_a_read_only_store_is_reported_and_kept(
    command: list[str], faulty: Faulty, ws: Path
) -> None:
    db, before = store(ws), digest(store(ws).parent)
    result = faulty.run(*command, cwd=ws, wrapper=read_only(db.parent))
    assert result.code == 1
    if command[0] == "start":  # the first write: the record of what was laid
        record = db.parent / "scaffolds" / "week01.json"
        assert (
            f"error: {record}: cannot write the scaffold record (Read-only file system): "
            f"{record.parent} is read-only or not yours: give yourself write access"
        ) in result.message
        assert digest(db.parent) == before
        return
    assert f"error: {db}: cannot record in the state store: {READ_ONLY}" in result.message
    assert f"`chmod u+rw {db} {db.parent}`" in result.message
    assert KEPT in result.message
    if command[0] == "check":  # the run's report first, then why it was not recorded
        assert "✘  answer.txt holds the answer" in result.out
        assert "(this attempt was not recorded)" in result.message
    assert digest(db.parent) == before


def test_a_check_s_json_carries_the_store_error(faulty: Faulty, ws: Path) -> None:
    db = store(ws)
    result = faulty.run("check", "1", "--json", cwd=ws, wrapper=read_only(db.parent))
    assert result.code == 1
    report = json.loads(result.out)  # one JSON object: the report and the error
    assert report["checks"][0]["title"] == "answer.txt holds the answer"
    assert report["exit_code"] == 1
    assert report["error"].startswith(f"{db}: cannot record in the state store: {READ_ONLY}")


def test_a_read_only_store_still_shows_progress(faulty: Faulty, ws: Path) -> None:
    db = store(ws)
    result = faulty.run("status", cwd=ws, wrapper=read_only(db.parent))
    if result.code == 0:
        assert "week01" in result.out
    else:  # SQLite could not make the WAL's index in the read-only folder
        assert f"error: {db}: cannot open the state store: {READ_ONLY}" in result.message


@pytest.mark.parametrize(
    ("mode", "folder_mode", "command", "doing"),
    [
        (0o000, 0o755, ["status"], "read"),
        (0o444, 0o755, ["hint"], "record in"),
        (0o644, 0o555, ["hint"], "record in"),
    ],
    ids=["store unreadable", "store read-only", "folder read-only"],
)
def test_permission_denied_is_reported_and_kept(
    mode: int, folder_mode: int, command: list[str], doing: str, faulty: Faulty, ws: Path
) -> None:
    db = store(ws)
    before = digest(db)
    db.chmod(mode)
    db.parent.chmod(folder_mode)
    try:
        result = faulty.run(*command, cwd=ws, wrapper=no_override())
    finally:
        db.parent.chmod(0o755)
        db.chmod(0o644)
    assert result.code == 1
    assert f"error: {db}: cannot " in result.message
    assert READ_ONLY in result.message and "chmod u+rw" in result.message
    assert KEPT in result.message
    assert digest(db) == before


@pytest.fixture
def locker(ws: Path) -> Iterator[subprocess.Popen[str]]:
    """Another program holding the store's write lock until told to let go."""
    code = (
        "import sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute('BEGIN IMMEDIATE')\n"
        "print('locked', flush=True)\n"
        "sys.stdin.readline()\n"
        "conn.execute('ROLLBACK')\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(store(ws))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
    yield proc
    proc.communicate("\n", timeout=scaled(10))


@pytest.mark.parametrize("command", [["hint"], ["check", "1"], ["start", "1"]])
def test_a_store_another_program_holds_locked(
    command: list[str], faulty: Faulty, ws: Path, locker: subprocess.Popen[str]
) -> None:
    db, before = store(ws), digest(store(ws))
    result = faulty.run(*command, cwd=ws, env={"MLOPS_ROADMAP_STORE_WAIT": "0.5"})
    assert result.code == 1
    assert (
        f"error: {db}: cannot record in the state store: another program holds it locked "
        "(waited 0.5 s): close that program" in result.message
    )
    assert KEPT in result.message
    if command[0] == "check":
        assert "✘  answer.txt holds the answer" in result.out
    assert digest(db) == before


def test_a_full_disk_is_reported_and_the_store_kept(
    faulty: Faulty, ws: Path, tmp_path: Path
) -> None:
    db = store(ws)
    report = tmp_path / "after.sha256"
    result = faulty.run("hint", cwd=ws, wrapper=full_disk(db.parent, report))
    assert result.code == 1
    assert f"error: {db}: cannot " in result.message
    assert "the disk is full: free some space" in result.message, result.message
    assert KEPT in result.message
    on_full_disk = report.read_text().split()[0]  # the copy there, when the command ended
    assert on_full_disk == hashlib.sha256(db.read_bytes()).hexdigest()


def foreign(db: Path) -> None:
    db.unlink()
    execute(db, "CREATE TABLE notes (body TEXT)", "INSERT INTO notes VALUES ('mine')")


BROKEN = [
    (
        lambda db: db.write_bytes(b""),
        "the state store is empty (0 bytes), so it holds no progress; it was left as it is: put "
        "back a copy if you have one, else remove it and run `mlops-roadmap init`",
    ),
    (
        lambda db: execute(db, "PRAGMA user_version=-1"),
        "an SQLite database mlops-roadmap did not make (format -1, expected 1); it was left as "
        "it is",
    ),
    (
        foreign,
        "an SQLite database mlops-roadmap did not make (format 0, expected 1); it was left as it "
        "is: if it is another program's, move it elsewhere, then run `mlops-roadmap init`",
    ),
    (
        lambda db: execute(db, "PRAGMA user_version=9"),
        "state format 9 is newer than this mlops-roadmap understands (1): upgrade mlops-roadmap",
    ),
    (
        lambda db: execute(db, "DROP TABLE events"),
        "the state store is damaged (its table 'events' is gone); it was left as it is",
    ),
    (
        lambda db: execute(db, "DROP TABLE attempts"),
        "the state store is damaged (its table 'attempts' is gone)",
    ),
    (
        lambda db: db.write_bytes(b"not a database at all" * 10),
        "the state store is unreadable (not an SQLite database); it was left as it is",
    ),
    (
        lambda db: db.write_bytes(db.read_bytes()[:50]),
        "the state store is unreadable (not an SQLite database)",
    ),
]


@pytest.mark.parametrize("command", [["status"], ["hint"], ["init", "."]])
@pytest.mark.parametrize(("damage", "message"), BROKEN)
def test_a_store_the_tool_cannot_use_is_refused_untouched(
    command: list[str],
    damage: Callable[[Path], object],
    message: str,
    faulty: Faulty,
    ws: Path,
) -> None:
    db = store(ws)
    damage(db)
    before = digest(db.parent)
    result = faulty.run(*command, cwd=ws)
    assert result.code == 1
    assert f"error: {db}: {message}" in result.message
    assert digest(db.parent) == before  # never re-initialised, never switched to WAL


def test_a_foreign_database_stays_in_its_journal_mode(faulty: Faulty, ws: Path) -> None:
    db = store(ws)
    foreign(db)
    for command in (["status"], ["check", "1"], ["start", "1"], ["init", "."]):
        assert faulty.run(*command, cwd=ws).code == 1
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert conn.execute("SELECT body FROM notes").fetchall() == [("mine",)]
    assert not db.with_name("state.db-wal").exists()


def test_a_folder_in_the_store_s_place(faulty: Faulty, ws: Path) -> None:
    db = store(ws)
    db.unlink()
    (db / "something").mkdir(parents=True)
    for command in (["status"], ["hint"], ["init", "."]):
        result = faulty.run(*command, cwd=ws)
        assert result.code == 1
        assert (
            f"error: {db}: a folder stands where the state store should be: move it aside "
            "(your progress is not in it), then run `mlops-roadmap init`" in result.message
        )
    assert [p.name for p in db.iterdir()] == ["something"]


def test_a_missing_store_says_to_init(faulty: Faulty, ws: Path) -> None:
    db = store(ws)
    db.unlink()
    db.symlink_to(ws / "nowhere.db")  # a dangling link counts as missing
    result = faulty.run("status", cwd=ws)
    assert result.code == 1
    assert f"error: {db}: no state store: run `mlops-roadmap init`" in result.message


def test_two_inits_at_once_make_one_whole_store(tmp_path: Path) -> None:
    """The store is made in a temporary file and linked into place: racing inits agree."""
    ws = tmp_path / "fresh"
    ws.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", INIT, str(ws / "state.db")],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    assert [p.communicate(timeout=scaled(60))[0] for p in procs] == ["ok\n"] * 4
    # The store's own -wal/-shm may stay when two connections close at once (SQLite folds
    # them on the next open); what must not stay is a half-made temporary store.
    names = sorted(p.name for p in ws.iterdir())
    assert "state.db" in names and not [n for n in names if n.startswith(".state-")], names
    assert set(names) <= {"state.db", "state.db-wal", "state.db-shm"}, names
    with closing(sqlite3.connect(ws / "state.db")) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)


INIT = """
import sys
from pathlib import Path
from mlops_roadmap.state import Store
Store.open(Path(sys.argv[1]), create=True).close()
print("ok")
"""
