"""Each student's JUnit XML and Gradescope results.json: their grades as the per-run formats
(``mlops_roadmap.formats``) take them, with the late penalty, the graded commit and the isolation.

A week that could not be graded becomes one ``error`` check worth the week's full marks, so a
missing week still counts against the student wherever the file is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from mlops_roadmap.formats.gradescope import Scored, Visibility, gradescope_results
from mlops_roadmap.formats.junit import Suite, junit_xml
from mlops_roadmap.grading.model import Grade, Student, late_words
from mlops_roadmap.results import CheckResult, RunReport


def as_report(grade: Grade, full: float = 0.0) -> RunReport:
    """The grade's report for its commit; a week not graded becomes one error worth ``full``."""
    if grade.report is not None:
        return replace(grade.report, commit=grade.commit)
    why = CheckResult(
        "grading",
        f"{grade.week} could not be graded",
        "error",
        found=f"{grade.status}: {grade.message}",
        points=full,
    )
    title = f"not graded ({grade.status})"
    return RunReport(grade.week, title, (why,), grade.duration, 0.0, grade.commit)


def _suite(student: Student, grade: Grade) -> Suite:
    facts = {
        "commit": grade.commit or "",
        "status": grade.status,
        "late_days": grade.late_days,
        "penalty": grade.penalty,
        "points": grade.points,
        "isolation": grade.isolation,
    }
    properties = tuple((name, str(value)) for name, value in facts.items())
    return Suite(as_report(grade), f"{student.id}.{grade.week}", properties)


def junit_for(student: Student, grades: Sequence[Grade]) -> str:
    """One student's weeks as a JUnit ``<testsuites>`` document named after them."""
    return junit_xml(student.id, [_suite(student, g) for g in grades])


def _scored(grade: Grade, full: float) -> Scored:
    remarks = []
    if grade.late_days:
        remarks.append(f"{late_words(grade.late_days)} late, {grade.penalty:g} points off")
    remarks += grade.flags
    if grade.message:
        remarks.append(grade.message)
    return Scored(as_report(grade, full), grade.points, tuple(remarks))


def gradescope_for(
    grades: Sequence[Grade],
    *,
    visibility: Visibility = "visible",
    full_marks: Mapping[str, float] | None = None,
) -> dict[str, object]:
    """One student's results.json; ``full_marks`` gives a week's max when it was not graded."""
    marks = full_marks or {}
    runs = [_scored(g, marks.get(g.week, 0.0)) for g in grades]
    return gradescope_results(runs, visibility=visibility)
