"""Grading a class: fetch each repository, pick the commit, run each week in a sandbox, record.

Submissions are graded ``jobs`` at a time, each in its own lane (``Job.slot``) of the chosen
sandbox. Nothing a submission does stops the others: every failure becomes that student's grade.
Each week's checks are collected once per run into a manifest, the only source of a week's check
ids and points: every verdict is held against it (``verdicts``).
"""

from __future__ import annotations

import math
import queue
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from mlops_roadmap import procs
from mlops_roadmap.course import Course
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import fetch, gradebook, history, roster, submission
from mlops_roadmap.grading.model import ClassGrades, Grade, Limits, Student
from mlops_roadmap.grading.sandbox import Backend
from mlops_roadmap.grading.submission import said
from mlops_roadmap.manifest import Manifest, collect_week
from mlops_roadmap.roadmap import LatePolicy, Week

# Told each grade as it is made: (the grade, or None before the first; how many done; of how many).
OnGraded = Callable[[Grade | None, int, int], None]


@dataclass(frozen=True)
class Request:
    """What to grade and how."""

    roster: Path
    weeks: tuple[Week, ...]
    out: Path
    cache: Path
    deadline: datetime | None = None  # every week's, unless ``deadlines`` names the week
    jobs: int = 2
    force: bool = False
    limits: Limits = field(default_factory=Limits)
    late: LatePolicy = field(default_factory=LatePolicy)
    fetch_timeout: float = fetch.FETCH_TIMEOUT
    deadlines: Mapping[str, datetime] = field(default_factory=dict)  # week id -> its own

    def deadline_for(self, week: str) -> datetime | None:
        """The deadline ``week`` is graded at."""
        return self.deadlines.get(week, self.deadline)


def grade_class(
    course: Course, request: Request, backend: Backend, on_graded: OnGraded | None = None
) -> ClassGrades:
    """Grade every student on the roster for every requested week."""
    students = roster.load(request.roster)
    book = gradebook.Gradebook(request.out / "gradebook.db")
    digests = {w.id: gradebook.checks_digest(course.root, w.id) for w in request.weeks}
    manifests = {w.id: collect_week(course, w) for w in request.weeks}
    lanes: queue.Queue[int] = queue.Queue()
    for slot in range(request.jobs):
        lanes.put(slot)
    total, done, reused = len(students) * len(request.weeks), 0, 0

    def one(student: Student) -> list[tuple[Grade, bool]]:
        slot = lanes.get()
        try:
            return _student(request, backend, book, digests, manifests, student, slot)
        finally:
            lanes.put(slot)

    if on_graded:
        on_graded(None, 0, total)
    pool = ThreadPoolExecutor(max_workers=request.jobs)
    try:
        futures = [pool.submit(one, s) for s in students]
        for future in as_completed(futures):
            for grade, again in future.result():
                done, reused = done + 1, reused + again
                if on_graded:
                    on_graded(grade, done, total)
        grades = [grade for f in futures for grade, _ in f.result()]  # in roster order
    except BaseException:  # Ctrl-C: nothing a submission started may outlive the grader
        pool.shutdown(wait=False, cancel_futures=True)
        procs.kill_all()
        backend.stop_all()
        raise
    finally:
        pool.shutdown(wait=True)
        book.close()
    return ClassGrades(
        course.plan.course.title,
        tuple(manifests.values()),
        tuple(grades),
        request.deadline.isoformat() if request.deadline else None,
        backend.name,
        {**summarize(grades), "reused": reused},
        {w: d.isoformat() for w, d in request.deadlines.items()},
    )


def summarize(grades: list[Grade]) -> dict[str, int]:
    """Grades by status; ``late`` and ``flagged`` count students, not weeks."""
    counts = {"students": len({g.student.id for g in grades}), "late": 0}
    late, flagged = set(), set()
    for g in grades:
        counts[g.status] = counts.get(g.status, 0) + 1
        if g.late_commits > 0 or g.late_days > 0:
            late.add(g.student.id)
        if g.flags:
            flagged.add(g.student.id)
    return {**counts, "late": len(late), "flagged": len(flagged)}


def _student(
    request: Request,
    backend: Backend,
    book: gradebook.Gradebook,
    digests: dict[str, str],
    manifests: dict[str, Manifest],
    student: Student,
    slot: int,
) -> list[tuple[Grade, bool]]:
    started = time.monotonic()
    url = str(roster.local_path(student, request.roster) or student.repo)
    try:
        refused = roster.repo_problem(student.repo)
        if refused:
            raise fetch.FetchFailed(f"refused (roster row {student.row}, column 'repo'): {refused}")
        deadlines = {w.id: request.deadline_for(w.id) for w in request.weeks}
        fetched = fetch.fetch(
            student,
            url,
            request.cache,
            request.fetch_timeout,
            [d for d in deadlines.values() if d is not None],
            request.limits.repo_mb,
        )
        picks = {w.id: history.pick(fetched, deadlines[w.id], w.folder) for w in request.weeks}
    except RoadmapError:
        raise
    except Exception as exc:  # whatever one repository does, the class is graded
        took = time.monotonic() - started
        return [
            (Grade(student, w.id, "fetch-failed", message=said(exc), duration=took), False)
            for w in request.weeks
        ]
    grades = []
    for week in request.weeks:
        pick = picks[week.id]
        commit, late_days = _graded_commit(fetched, pick, request.late)
        flags = history.date_flags(fetched, commit)
        base = Grade(
            student, week.id, "no-submission", commit, late_days, pick.late_commits, flags=flags
        )
        if commit is None:
            grades.append((replace(base, message=_nothing_on_time(pick)), False))
            continue
        key = f"{commit}:{digests[week.id]}:{request.limits}:{request.late}:{late_days:.4f}"
        key += f":{pick.late_commits}"
        stored = None if request.force else book.reusable(student, week.id, key)
        grade = stored or _penalize(
            submission.grade_week(
                backend, fetched, base, week, manifests[week.id], request.limits, slot
            ),
            request.late,
        )
        if stored is None:
            book.store(grade, key)
        grades.append((grade, stored is not None))
    return grades


def _graded_commit(
    fetched: fetch.Fetched, pick: history.Pick, late: LatePolicy
) -> tuple[str | None, float]:
    if late.kind == "none" or not pick.late_commits:
        return pick.commit, 0.0
    return fetched.tip, pick.late_days


def _nothing_on_time(pick: history.Pick) -> str:
    if pick.late_commits:
        return f"no commit at or before the deadline ({pick.late_commits} later, not graded)"
    return "no commit at or before the deadline"


def _penalize(grade: Grade, late: LatePolicy) -> Grade:
    if grade.report is None or grade.late_days <= 0 or late.kind == "none":
        return grade
    days = math.ceil(grade.late_days)
    if late.kind == "zero" or (late.max_days and days > late.max_days):
        return replace(grade, penalty=grade.max_points)
    return replace(grade, penalty=min(grade.max_points, late.per_day * days * grade.max_points))
