"""What a `grade` run leaves behind: a gradebook CSV, the JSON record, JUnit XML, Gradescope's
results.json and the class report, each a pure function of ``ClassGrades`` (plus ``write_all``).

Student names, commit messages and check messages are untrusted: the CSV guards against formula
injection, the XML goes through ElementTree (and loses the control characters XML 1.0 forbids).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from mlops_roadmap.formats import write_atomic
from mlops_roadmap.grading import report_html
from mlops_roadmap.grading.grades_json import class_json
from mlops_roadmap.grading.model import NOT_GRADED, ClassGrades, Grade, file_stem
from mlops_roadmap.grading.student_files import gradescope_for, junit_for

SHORT_SHA = 7
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """Spreadsheets run a cell starting with = + - @ as a formula: make it text."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _num(value: float) -> str:
    if not math.isfinite(value):  # verdicts are held to finite numbers: this is a bug
        raise ValueError(f"{value} in the gradebook: every number written must be finite")
    return f"{round(value, 2):g}"


def _week_cells(full: float, g: Grade | None) -> list[str]:
    if g is None:  # a week not graded still counts against full marks
        return ["", NOT_GRADED, "", "", "0", _num(full), ""]
    commit = (g.commit or "")[:SHORT_SHA]
    notes = _cell("; ".join(g.notes))
    return [commit, g.status, _num(g.late_days), _num(g.penalty), _num(g.points), _num(full), notes]


def _check_cell(g: Grade | None, check_id: str) -> str:
    r = next((r for r in (g.checks if g else ()) if r.id == check_id), None)
    return "" if r is None else _num(r.points if r.outcome == "passed" else 0.0)


def gradebook_csv(cg: ClassGrades) -> str:
    """One row per student for a spreadsheet or an LMS import (RFC 4180, header row)."""
    columns, marks, table = cg.check_columns(), cg.full_marks(), cg.by_student()
    fields = ("commit", "status", "late_days", "penalty", "points", "max", "notes")
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


def write_all(cg: ClassGrades, out_dir: Path) -> list[Path]:
    """Every export of a run into ``out_dir``; returns the files written."""
    files = {
        "gradebook.csv": gradebook_csv(cg),
        "grades.json": json.dumps(class_json(cg), indent=2, ensure_ascii=False, allow_nan=False)
        + "\n",
    }
    full, table = cg.full_marks(), cg.by_student()
    for s in cg.students():
        mine = [table[s.id][w] for w in cg.weeks if w in table[s.id]]
        stem = file_stem(s.id)
        files[f"junit/{stem}.xml"] = junit_for(s, mine)
        results = gradescope_for(mine, full_marks=full)
        files[f"gradescope/{stem}/results.json"] = (
            json.dumps(results, indent=2, allow_nan=False) + "\n"
        )
    files["report.html"] = report_html.render(cg)
    return [write_atomic(out_dir / name, text) for name, text in files.items()]
