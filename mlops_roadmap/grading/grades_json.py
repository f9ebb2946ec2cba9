"""grades.json: a whole `grade` run as data, and back (to render the report again, or diff runs).

Every grade keeps every check's outcome, message, expected/found/hint and points, in the shape
``RunReport.to_json`` documents, and each week's manifest (the course's checks, their titles and
points) is kept beside them. Repository URLs lose any user or token on the way out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mlops_roadmap.grading.model import ClassGrades, Grade, Student, as_status
from mlops_roadmap.manifest import Manifest
from mlops_roadmap.results import report_from_json

FORMAT = 2  # 2: the weeks' manifests ("checks"); later keys are optional, read with defaults


def public_repo(repo: str) -> str:
    """A repository URL without any user or token in it, safe to hand around."""
    parts = urlsplit(repo)
    if "@" not in parts.netloc or not parts.scheme:
        return repo
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def class_json(cg: ClassGrades) -> dict[str, object]:
    """The whole run as data (grades.json): every grade, every check, its message and points."""
    return {
        "format": FORMAT,
        "course": cg.course,
        "weeks": list(cg.weeks),
        "checks": [m.to_json() for m in cg.manifests],
        "deadline": cg.deadline,
        "deadlines": dict(cg.deadlines),
        "backend": cg.backend,
        "summary": dict(cg.summary),
        "students": [
            {
                "id": s.id,
                "name": s.name,
                "repo": public_repo(s.repo),
                "branch": s.branch,
                "row": s.row,
            }
            for s in cg.students()
        ],
        "grades": [_grade_json(g) for g in cg.grades],
    }


def _grade_json(g: Grade) -> dict[str, object]:
    return {
        "student": g.student.id,
        "week": g.week,
        "status": g.status,
        "commit": g.commit,
        "late_days": g.late_days,
        "late_commits": g.late_commits,
        "penalty": g.penalty,
        "points": g.points,
        "max_points": g.max_points,
        "isolation": g.isolation,
        "message": g.message,
        "duration": round(g.duration, 3),
        "flags": list(g.flags),
        "exit_code": g.exit_code,
        "overhead": g.overhead,
        "report": g.report.to_json() if g.report else None,
    }


def class_from_json(data: Mapping[str, Any]) -> ClassGrades:
    """Read back ``class_json`` (grades.json), e.g. to render the report again."""
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown grades format {data.get('format')!r}")
    students = {
        s["id"]: Student(s["id"], s["name"], s["repo"], s.get("branch"), int(s.get("row", 0)))
        for s in data["students"]
    }
    grades = tuple(_grade_from_json(students[g["student"]], g) for g in data["grades"])
    summary = {str(k): int(v) for k, v in data.get("summary", {}).items()}
    return ClassGrades(
        str(data["course"]),
        tuple(Manifest.from_json(m) for m in data["checks"]),
        grades,
        data.get("deadline"),
        str(data.get("backend", "")),
        summary,
        {str(w): str(d) for w, d in data.get("deadlines", {}).items()},
    )


def _grade_from_json(student: Student, g: Mapping[str, Any]) -> Grade:
    report = g.get("report")
    return Grade(
        student,
        str(g["week"]),
        as_status(g["status"]),
        g.get("commit"),
        float(g["late_days"]),
        int(g["late_commits"]),
        float(g["penalty"]),
        report_from_json(report) if report else None,
        str(g.get("isolation", "")),
        str(g.get("message", "")),
        float(g.get("duration", 0.0)),
        tuple(str(flag) for flag in g.get("flags", ())),
        None if g.get("exit_code") is None else int(g["exit_code"]),
        float(g.get("overhead", 0.0)),
    )
