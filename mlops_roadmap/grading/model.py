"""Grading's plain data: who is graded, what was graded, and the verdict for each week."""

from __future__ import annotations

import hashlib
import re
import signal
from dataclasses import dataclass, field
from typing import Literal, get_args

from mlops_roadmap.manifest import Manifest, ManifestCheck
from mlops_roadmap.results import CheckResult, RunReport

# What became of a week's submission: graded, or why it was not (``Grade.status``).
GradeStatus = Literal[
    "graded", "fetch-failed", "no-submission", "timed-out", "crashed", "invalid-verdict", "queued"
]
STATUSES: tuple[GradeStatus, ...] = get_args(GradeStatus)
NOT_GRADED = "not-graded"  # a week the run has no grade for at all (in the files, not a status)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Student:
    """One roster row."""

    id: str
    name: str
    repo: str  # an https or ssh URL, or a local path
    branch: str | None = None
    row: int = 0  # the roster's line number, for messages


def as_status(value: object) -> GradeStatus:
    """``value`` as a grade status, when it is one (read back from a file or the gradebook)."""
    for status in STATUSES:
        if value == status:
            return status
    raise ValueError(f"unknown grade status {value!r}: expected one of {', '.join(STATUSES)}")


def file_stem(student_id: str) -> str:
    """A student id as a safe, unique file name (ids come from a roster anyone may write)."""
    safe = _UNSAFE_NAME.sub("_", student_id).strip("._") or "student"
    if safe == student_id:
        return safe
    return f"{safe}-{hashlib.sha256(student_id.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class Limits:
    """What one submission may use: while its checks run, and of the grader's own work on it
    (fetching, unpacking, cleaning up), which is bounded too so one repository of 60,000 files
    or a huge history cannot hold up the class."""

    wall_seconds: float = 600.0  # the whole submission
    check_seconds: float = 300.0  # any one check
    memory_mb: int = 2048
    cpus: float = 1.0
    processes: int = 256
    file_mb: int = 256  # the largest file it may write
    scratch_mb: int = 512  # its writable temporary space
    output_kb: int = 1024  # captured output kept
    repo_mb: int = 1024  # the repository as fetched (only the history the deadline needs)
    tree_files: int = 20_000  # files and links in the graded tree, counted before unpacking
    tree_mb: int = 512  # the graded tree's bytes, unpacked
    unpack_seconds: float = 120.0  # the grader unpacking one tree (it counts against wall too)


def late_words(days: float) -> str:
    """How late, rounded to what a reader needs: minutes, hours under two days, else days."""
    hours = days * 24
    if hours < 1:
        return f"{max(1, round(hours * 60))} min"
    if hours < 47.5:
        return f"{round(hours)} h"
    return f"{round(days, 1):g} days"


def exit_words(code: int | None) -> str:
    """How a checker that did not exit cleanly ended, in words ("" when it did, or never ran)."""
    if not code:
        return ""
    signal_number = -code if code < 0 else code - 128 if 128 < code <= 128 + 64 else 0
    if not signal_number:
        return f"exited with status {code}"
    try:
        name = signal.Signals(signal_number).name
    except ValueError:
        name = f"signal {signal_number}"
    return f"killed by {name}" if code < 0 else f"exited with status {code} (killed by {name})"


@dataclass(frozen=True)
class Grade:
    """One student's verdict for one week."""

    student: Student
    week: str  # week id, e.g. "week02"
    status: GradeStatus
    commit: str | None = None
    late_days: float = 0.0  # how late the graded commit is (0 when on time)
    late_commits: int = 0  # commits after the deadline, not graded
    penalty: float = 0.0  # points taken off by the late policy
    report: RunReport | None = None
    isolation: str = ""  # how the submission was isolated, in words
    message: str = ""  # why it was not graded, or what the sandbox saw
    duration: float = 0.0
    flags: tuple[str, ...] = ()  # what an instructor should look at (dates that disagree)
    exit_code: int | None = None  # how the checker ended (None: it did not run here)
    overhead: float = 0.0  # the grader's own seconds on it: unpacking the tree, removing it

    @property
    def checks(self) -> tuple[CheckResult, ...]:
        return self.report.results if self.report else ()

    @property
    def max_points(self) -> float:
        return self.report.max_points if self.report else 0.0

    @property
    def points(self) -> float:
        raw = self.report.points if self.report else 0.0
        return max(0.0, raw - self.penalty)

    @property
    def notes(self) -> tuple[str, ...]:
        """What an instructor should look at: the flags, and a week passed offline (its points
        leave out checks this machine could not run, which the student may well pass)."""
        if self.status != "graded" or self.report is None or not self.report.passed_offline:
            return self.flags
        needs = " and ".join(self.report.needs)
        offline = f"passed offline: every check that ran passed; the rest need {needs}"
        return (*self.flags, offline)


@dataclass(frozen=True)
class ClassGrades:
    """Everything one `grade` run produced, for the gradebook files and the class report.

    Columns and full marks come from the weeks' manifests (the course's checks), never from what
    a submission's verdict claims.
    """

    course: str
    manifests: tuple[Manifest, ...]  # one per graded week, in order
    grades: tuple[Grade, ...]
    deadline: str | None = None  # every week's, unless ``deadlines`` names the week
    backend: str = ""
    summary: dict[str, int] = field(default_factory=dict)
    deadlines: dict[str, str] = field(default_factory=dict)  # week id -> its own (ISO 8601)

    @property
    def weeks(self) -> tuple[str, ...]:
        return tuple(m.week for m in self.manifests)

    def deadline_for(self, week: str) -> str | None:
        return self.deadlines.get(week, self.deadline)

    def students(self) -> list[Student]:
        seen: dict[str, Student] = {}
        for g in self.grades:
            seen.setdefault(g.student.id, g.student)
        return list(seen.values())

    def grade(self, student_id: str, week: str) -> Grade | None:
        return next((g for g in self.grades if g.student.id == student_id and g.week == week), None)

    def check_columns(self) -> list[tuple[str, ManifestCheck]]:
        """Every (week, check) of the course's graded weeks, in week then run order."""
        return [(m.week, c) for m in self.manifests for c in m.checks]

    def full_marks(self) -> dict[str, float]:
        """Each week's full marks: the points of all its checks."""
        return {m.week: m.max_points for m in self.manifests}

    def by_student(self) -> dict[str, dict[str, Grade]]:
        """student id -> week -> grade, built once (``grade`` scans every grade)."""
        table: dict[str, dict[str, Grade]] = {s.id: {} for s in self.students()}
        for g in self.grades:
            table[g.student.id].setdefault(g.week, g)
        return table
