"""The record of what a week's scaffold laid: each file's sha256, and what laid it.

Like copier's answers file, it remembers where a week folder came from, so ``start --force``
replaces only the files the learner never changed and ``solution --changes`` can show the
learner's own work. One small JSON file per week, with a format version, written as pipx writes
its metadata: a temp file in the same folder, then ``replace()``. A damaged record, or one of a
newer format, is reported and left as it is, never replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlops_roadmap import __version__
from mlops_roadmap.errors import RoadmapError, write_fix

VERSION = 1
FIX = (
    "restore it from git if you committed it, or move it aside (then every file that differs "
    "from the course's scaffold counts as yours)"
)


@dataclass(frozen=True)
class Record:
    """What laid a week's folder, and each laid file's sha256 (paths relative to the folder)."""

    week: str
    course_id: str
    course_version: str
    files: Mapping[str, str] = field(default_factory=dict)
    engine: str = __version__
    laid_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds")
    )

    def untouched(self, rel: str, path: Path) -> bool:
        """Whether ``path`` still holds exactly the bytes the scaffold laid as ``rel``."""
        digest = self.files.get(rel)
        return digest is not None and path.is_file() and sha256(path.read_bytes()) == digest


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def load(path: Path) -> Record | None:
    """The record at ``path``; None when there is none (a week laid before records were kept)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise _damaged(path, str(exc)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _damaged(path, f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _damaged(path, "expected a JSON object")
    return _parse(path, data)


def save(path: Path, record: Record) -> None:
    """Write ``record`` to ``path`` atomically: a reader sees the old record or the new one."""
    data = {
        "format": VERSION,
        "week": record.week,
        "course": {"id": record.course_id, "version": record.course_version},
        "engine": record.engine,
        "laid_at": record.laid_at,
        "files": {rel: {"sha256": digest} for rel, digest in sorted(record.files.items())},
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise RoadmapError(
            f"{path}: cannot write the scaffold record ({exc.strerror or exc}): "
            f"{write_fix(exc, path.parent)}"
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException as exc:
        Path(temp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise RoadmapError(
                f"{path}: cannot write the scaffold record ({exc.strerror or exc}): "
                f"{write_fix(exc, path.parent)}"
            ) from None
        raise


def _parse(path: Path, data: dict[str, Any]) -> Record:
    version = data.get("format")
    if not isinstance(version, int):
        raise _damaged(path, "format: expected a whole number")
    if version > VERSION:
        raise RoadmapError(
            f"{path}: scaffold record format {version} is newer than this mlops-roadmap "
            f"understands ({VERSION}): upgrade mlops-roadmap"
        )
    course = data.get("course")
    if not isinstance(course, dict):
        raise _damaged(path, "course: expected an object with id and version")
    files = data.get("files")
    if not isinstance(files, dict):
        raise _damaged(path, "files: expected an object of path to {sha256}")
    return Record(
        week=_text(path, data, "week"),
        course_id=_text(path, course, "id", "course."),
        course_version=_text(path, course, "version", "course."),
        files={rel: _digest(path, rel, entry) for rel, entry in files.items()},
        engine=_text(path, data, "engine"),
        laid_at=_text(path, data, "laid_at"),
    )


def _text(path: Path, data: dict[str, Any], key: str, place: str = "") -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise _damaged(path, f"{place}{key}: expected a string, got {value!r}")
    return value


def _digest(path: Path, rel: str, entry: object) -> str:
    digest = entry.get("sha256") if isinstance(entry, dict) else None
    if not (
        isinstance(digest, str)
        and len(digest) == 64
        and all(c in "0123456789abcdef" for c in digest)
    ):
        raise _damaged(path, f"files[{rel!r}].sha256: expected 64 hex digits, got {digest!r}")
    return digest


def _damaged(path: Path, what: str) -> RoadmapError:
    return RoadmapError(
        f"{path}: the scaffold record is damaged ({what}); it was left as it is: {FIX}"
    )
