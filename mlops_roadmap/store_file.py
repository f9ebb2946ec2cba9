"""Making and opening the state store's file without ever harming one.

A store is made whole in a temporary file in its folder and then linked into place, so a store
of 0 bytes or without the format version is never one this tool made, and a store another
process made meanwhile is kept. Before a store is opened for writing, its header is read
(read-only): an empty file, one that is not SQLite, another program's database or one of a newer
format is refused with its path and the fix, never re-initialised and never switched to WAL.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.store_errors import damaged, failure, unreadable

MAGIC = b"SQLite format 3\x00"


def uri(path: Path, read_only: bool = False) -> str:
    """A URI that opens ``path`` for writing where allowed and never creates it; ``read_only``:
    as an unchanging file (no WAL index to make, so a read-only folder can still be read)."""
    text = str(path.absolute())
    for char, code in (("%", "%25"), ("?", "%3f"), ("#", "%23")):
        text = text.replace(char, code)
    return f"file:{text}?mode=ro&immutable=1" if read_only else f"file:{text}?mode=rw"


def connect(
    path: Path, version: int, tables: tuple[str, ...], wait: float, read_only: bool = False
) -> sqlite3.Connection:
    """A connection to the store at ``path``, checked (see ``prepare``)."""
    conn = sqlite3.connect(uri(path, read_only), uri=True, timeout=wait, isolation_level=None)
    try:
        prepare(conn, path, version, tables, read_only)
    except BaseException:
        conn.close()
        raise
    return conn


def unfinished(path: Path) -> bool:
    """Whether the store has a write-ahead log with writes not yet folded into the file."""
    wal = Path(f"{path}-wal")
    return wal.exists() and wal.stat().st_size > 0


def create(path: Path, schema: str, version: int) -> None:
    """Make a store at ``path``, whole: built in a temporary file, then linked into place."""
    import tempfile  # only `init` makes a store

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".state-", suffix=".db", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise failure(path, exc, "create") from None
    temp = Path(name)
    try:
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(f"BEGIN IMMEDIATE;{schema}PRAGMA user_version={version};COMMIT;")
        finally:
            conn.close()  # the last connection: the WAL is folded into the file
        publish(temp, path)
    except (OSError, sqlite3.Error) as exc:
        raise failure(path, exc, "create") from None
    finally:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            leftover.unlink(missing_ok=True)


def publish(temp: Path, path: Path) -> None:
    try:
        os.link(temp, path)  # never over a store another process made meanwhile
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links
        if not path.exists():
            os.replace(temp, path)


def inspect(path: Path, version: int) -> None:
    """Read the file's header (read-only) and refuse what is not a store this tool can use."""
    try:
        with path.open("rb") as f:
            header = f.read(100)
    except OSError as exc:
        raise failure(path, exc, "read") from None
    if not header:
        raise RoadmapError(
            f"{path}: the state store is empty (0 bytes), so it holds no progress; it was left "
            "as it is: put back a copy if you have one, else remove it and run "
            "`mlops-roadmap init` to start a fresh one"
        )
    if not header.startswith(MAGIC) or len(header) < 100:
        raise unreadable(path, "not an SQLite database")
    check_version(path, int.from_bytes(header[60:64], "big", signed=True), version)


def check_version(path: Path, found: int, version: int) -> None:
    """Refuse a store of a newer format, and a database this tool did not make."""
    if found > version:
        raise RoadmapError(
            f"{path}: state format {found} is newer than this mlops-roadmap "
            f"understands ({version}): upgrade mlops-roadmap"
        )
    if found != version:
        raise RoadmapError(
            f"{path}: an SQLite database mlops-roadmap did not make (format {found}, expected "
            f"{version}); it was left as it is: if it is another program's, move it elsewhere, "
            "then run `mlops-roadmap init` to start a fresh state store"
        )


def prepare(
    conn: sqlite3.Connection,
    path: Path,
    version: int,
    tables: tuple[str, ...],
    read_only: bool = False,
) -> None:
    """Check the opened store once more (its version, its tables); WAL for a store of ours."""
    check_version(path, conn.execute("PRAGMA user_version").fetchone()[0], version)
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    missing = [table for table in tables if table not in names]
    if missing:
        raise damaged(path, f"its table '{missing[0]}' is gone")
    if not read_only and conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode=WAL")
