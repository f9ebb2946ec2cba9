"""What a `grade` run leaves behind: a gradebook CSV, the JSON record, JUnit XML, Gradescope's
results.json and the class report, each a pure function of ``ClassGrades`` (plus ``write_all``).

Student names, commit messages and check messages are untrusted: the CSV guards against formula
injection, the XML goes through ElementTree (and loses the control characters XML 1.0 forbids).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import secrets
from pathlib import Path

from mlops_roadmap.grading.grades_json import class_from_json as class_from_json
from mlops_roadmap.grading.grades_json import class_json as class_json
from mlops_roadmap.grading.gradescope import gradescope_results as gradescope_results
from mlops_roadmap.grading.junit import junit_xml as junit_xml
from mlops_roadmap.grading.model import ClassGrades, Grade
from mlops_roadmap.results import CheckResult, RunReport

NOT_GRADED = "not-graded"  # a week the run has no grade for at all
REPORT_FORMATS = ("json", "junit", "gradescope")  # what `check --format` writes for one run
SHORT_SHA = 7
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def check_columns(cg: ClassGrades) -> list[tuple[str, CheckResult]]:
    """Every (week, check) any submission ran, in week order then first appearance."""
    seen: dict[tuple[str, str], CheckResult] = {}
    for week in cg.weeks:
        for g in cg.grades:
            if g.week == week:
                for r in g.checks:
                    seen.setdefault((week, r.id), r)
    return [(week, r) for (week, _), r in seen.items()]


def full_marks(cg: ClassGrades) -> dict[str, float]:
    """Each week's full marks, known from any submission that ran (0 when none did)."""
    marks = dict.fromkeys(cg.weeks, 0.0)
    for g in cg.grades:
        if g.week in marks:
            marks[g.week] = max(marks[g.week], g.max_points)
    return marks


def by_student(cg: ClassGrades) -> dict[str, dict[str, Grade]]:
    """student id -> week -> grade, built once (``ClassGrades.grade`` scans every grade)."""
    table: dict[str, dict[str, Grade]] = {s.id: {} for s in cg.students()}
    for g in cg.grades:
        table[g.student.id].setdefault(g.week, g)
    return table


def _cell(text: str) -> str:
    """Spreadsheets run a cell starting with = + - @ as a formula: make it text."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _num(value: float) -> str:
    return f"{round(value, 2):g}"


def _week_cells(full: float, g: Grade | None) -> list[str]:
    if g is None:  # a week not graded still counts against full marks
        return ["", NOT_GRADED, "", "", "0", _num(full)]
    commit = (g.commit or "")[:SHORT_SHA]
    return [commit, g.status, _num(g.late_days), _num(g.penalty), _num(g.points), _num(full)]


def _check_cell(g: Grade | None, check_id: str) -> str:
    r = next((r for r in (g.checks if g else ()) if r.id == check_id), None)
    return "" if r is None else _num(r.points if r.outcome == "passed" else 0.0)


def gradebook_csv(cg: ClassGrades) -> str:
    """One row per student for a spreadsheet or an LMS import (RFC 4180, header row)."""
    columns, marks, table = check_columns(cg), full_marks(cg), by_student(cg)
    fields = ("commit", "status", "late_days", "penalty", "points", "max")
    header = ["id", "name", *(f"{w}:{k}" for w in cg.weeks for k in fields)]
    header += [f"{w}:{r.id}" for w, r in columns] + ["total"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for s in cg.students():
        grades = {w: table[s.id].get(w) for w in cg.weeks}
        row = [_cell(s.id), _cell(s.name)]
        for w, g in grades.items():
            row += _week_cells(marks[w], g)
        row += [_check_cell(grades[w], r.id) for w, r in columns]
        row.append(_num(sum(g.points for g in grades.values() if g)))
        writer.writerow(row)
    return buffer.getvalue()


def export_report(fmt: str, report: RunReport) -> str:
    """One workspace's run as `check --format FMT` prints it."""
    if fmt == "junit":
        return junit_xml(None, [report])
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(REPORT_FORMATS)}")
    data = report.to_json() if fmt == "json" else gradescope_results([report])
    return json.dumps(data, indent=2, default=str) + "\n"


def file_stem(student_id: str) -> str:
    """A student id as a safe, unique file name (ids come from a roster anyone may write)."""
    safe = _UNSAFE_NAME.sub("_", student_id).strip("._") or "student"
    if safe == student_id:
        return safe
    return f"{safe}-{hashlib.sha256(student_id.encode()).hexdigest()[:8]}"


def write_atomic(path: Path, text: str) -> Path:
    """Write via a temporary file in the same folder and ``replace``: never half a gradebook."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_all(cg: ClassGrades, out_dir: Path) -> list[Path]:
    """Every export of a run into ``out_dir``; returns the files written."""
    from mlops_roadmap.grading import report_html

    files = {
        "gradebook.csv": gradebook_csv(cg),
        "grades.json": json.dumps(class_json(cg), indent=2, ensure_ascii=False) + "\n",
    }
    full, table = full_marks(cg), by_student(cg)
    for s in cg.students():
        mine = [table[s.id][w] for w in cg.weeks if w in table[s.id]]
        stem = file_stem(s.id)
        files[f"junit/{stem}.xml"] = junit_xml(s, mine)
        results = gradescope_results(mine, full_marks=full)
        files[f"gradescope/{stem}/results.json"] = json.dumps(results, indent=2) + "\n"
    files["report.html"] = report_html.render(cg)
    return [write_atomic(out_dir / name, text) for name, text in files.items()]
