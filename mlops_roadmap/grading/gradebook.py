"""The gradebook: every grade ever given, in SQLite, so a re-run grades only what changed.

A grade is reused when the student's graded commit, what the week's checks execute (a digest of
their folder, the course's shared check package, the course files checks load, and the engine)
and the grading settings are the same as last time.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mlops_roadmap import __version__, checklib, course
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import fingerprint
from mlops_roadmap.grading.model import Grade, GradeStatus, Student, as_status
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
REUSABLE: tuple[GradeStatus, ...] = ("graded", "no-submission", "timed-out", "crashed")


def check_inputs(week_id: str) -> list[str]:
    """The course's files and folders a week's checks execute or load: its checks folder, the
    shared check package (``checks/_lib``), the data sets and ``roadmap.yaml``."""
    return [f"checks/{week_id}", f"checks/{checklib.FOLDER}", course.DATA, "roadmap.yaml"]


def checks_digest(course_root: Path, week_id: str) -> str:
    """A digest of everything a week's checks execute, and of the engine that runs them: when
    any of it changes, every grade of the week is redone."""
    named = [
        file
        for part in check_inputs(week_id)
        for file in fingerprint.files(course_root / part, part)
    ]
    seed = f"{__version__}\0{fingerprint.engine_digest()}\0".encode()
    return fingerprint.digest(named, seed)[:20]


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
                    json.dumps(grade_to_json(grade), allow_nan=False),
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
    data["flags"] = tuple(data.get("flags", ()))
    return Grade(student=student, report=report_from_json(report) if report else None, **data)
