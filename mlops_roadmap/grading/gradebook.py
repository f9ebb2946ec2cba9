"""The gradebook: every grade ever given, in SQLite, so a re-run grades only what changed.

A grade is reused when the student's graded commit, the week's checks (a digest of the checks
folder and the engine version) and the grading settings are the same as last time.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mlops_roadmap import __version__
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading.model import Grade, Student, as_status
from mlops_roadmap.results import report_from_json

VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS grades (
    student TEXT NOT NULL,
    week TEXT NOT NULL,
    key TEXT NOT NULL,
    status TEXT NOT NULL,
    commit_sha TEXT,
    data TEXT NOT NULL,
    graded_at REAL NOT NULL,
    PRIMARY KEY (student, week)
);
"""
REUSABLE = ("graded", "no-submission", "timed-out", "crashed")


def checks_digest(checks: Path) -> str:
    """A digest of a week's checks and the engine: when it changes, every grade is redone."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(
        p for p in checks.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ):
        digest.update(path.relative_to(checks).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:20]


class Gradebook:
    """``gradebook.db`` in the output folder."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self.lock = threading.Lock()  # the `--jobs` lanes share this one connection
        try:
            found = self.db.execute("PRAGMA user_version").fetchone()[0]
            if found > VERSION:
                raise RoadmapError(
                    f"{path}: gradebook format {found} is newer than this mlops-roadmap "
                    f"({VERSION}): upgrade mlops-roadmap or use another --out folder"
                )
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(SCHEMA)
            self.db.execute(f"PRAGMA user_version={VERSION}")
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise RoadmapError(
                f"{path}: not a readable gradebook ({exc}): move it aside or use another --out"
            ) from None

    def close(self) -> None:
        self.db.close()

    def reusable(self, student: Student, week: str, key: str) -> Grade | None:
        """The stored grade for the same commit, checks and settings, if any."""
        with self.lock:
            row = self.db.execute(
                "SELECT status, data FROM grades WHERE student=? AND week=? AND key=?",
                (student.id, week, key),
            ).fetchone()
        if row is None or row[0] not in REUSABLE:
            return None
        return grade_from_json(json.loads(row[1]), student)

    def store(self, grade: Grade, key: str) -> None:
        with self.lock, self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO grades VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    grade.student.id,
                    grade.week,
                    key,
                    grade.status,
                    grade.commit,
                    json.dumps(grade_to_json(grade)),
                    time.time(),
                ),
            )


def grade_to_json(grade: Grade) -> dict[str, Any]:
    data = asdict(grade)
    data["report"] = grade.report.to_json() if grade.report else None
    return data


def grade_from_json(data: dict[str, Any], student: Student) -> Grade:
    report = data.pop("report", None)
    data.pop("student", None)
    data["status"] = as_status(data["status"])
    return Grade(student=student, report=report_from_json(report) if report else None, **data)
