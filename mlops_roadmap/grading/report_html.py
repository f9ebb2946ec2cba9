"""The class report: one self-contained HTML page (inline CSS and SVG, no script, no URL).

It answers an instructor's questions in order: how did the run go, who missed what (a heat map of
students by checks), which check trips the class up (pass rates, lowest first), how are scores
spread (a histogram), and, per student, what failed and why. Names and messages come from
students' repositories: every one goes through ``html.escape``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mlops_roadmap.grading import charts
from mlops_roadmap.grading.charts import LEGEND
from mlops_roadmap.grading.charts import text as _t
from mlops_roadmap.grading.model import (
    NOT_GRADED,
    ClassGrades,
    Grade,
    Student,
    exit_words,
    file_stem,
    late_words,
)
from mlops_roadmap.manifest import ManifestCheck
from mlops_roadmap.results import CheckResult

MESSAGE_CHARS = 2000  # a sandbox's message can be a whole log; the gradebook JSON keeps it all
CSS = Path(__file__).with_name("report.css")  # inlined: the page loads nothing
STUDENT_COUNTS = ("late", "flagged")  # summary counts of students (the rest count weeks)
BLOCKED_TITLES = 4  # titles named on a line of blocked checks; the count says how many


@dataclass(frozen=True)
class _Class:
    """The run, indexed once: a report for 200 students looks grades up thousands of times."""

    cg: ClassGrades
    columns: list[tuple[str, ManifestCheck]]  # the course's checks: what each week holds
    marks: dict[str, float]
    table: dict[str, dict[str, Grade]]
    cells: dict[tuple[str, str, str], CheckResult]

    @classmethod
    def of(cls, cg: ClassGrades) -> _Class:
        cells = {(g.student.id, g.week, r.id): r for g in cg.grades for r in g.checks}
        return cls(cg, cg.check_columns(), cg.full_marks(), cg.by_student(), cells)

    @property
    def full(self) -> float:
        return sum(self.marks[w] for w in self.cg.weeks)

    def total(self, s: Student) -> float:
        return sum(g.points for w, g in self.table[s.id].items() if w in self.marks)


def _deadlines(cg: ClassGrades) -> str:
    """One deadline for the run, or each week's where weeks have their own."""
    if not cg.deadlines:
        return f"deadline {_t(cg.deadline or 'none')}"
    return "deadlines " + ", ".join(f"{_t(w)} {_t(cg.deadline_for(w) or 'none')}" for w in cg.weeks)


def _chip(key: str, value: int) -> str:
    if key in STUDENT_COUNTS:  # these count students; every status counts weeks graded
        return f"<li>{_t(key)} <b>{value}</b> {'student' if value == 1 else 'students'}</li>"
    return f"<li>{_t(key)} <b>{value}</b></li>"


def _header(cg: ClassGrades) -> str:
    facts = [
        f"weeks {_t(', '.join(cg.weeks))}",
        _deadlines(cg),
        f"backend {_t(cg.backend or 'unknown')}",
    ]
    # Lanes differ only by their uid: say it once (each grade in grades.json keeps its own).
    isolation = sorted({re.sub(r"uid \d+", "a uid per lane", g.isolation) for g in cg.grades})
    isolation = [words for words in isolation if words]
    chips = "".join(_chip(k, v) for k, v in cg.summary.items())
    return (
        f"<h1>{_t(cg.course)}: class report</h1><p class=meta>{' · '.join(facts)}</p>"
        + (f"<p class=meta>isolation: {_t('; '.join(isolation))}</p>" if isolation else "")
        + f"<ul class=chips>{chips}</ul>"
    )


def _legend() -> str:
    items = "".join(
        f'<span><i class=sw style="background:var(--{k})"></i>{_t(v)}</span>'
        for k, v in LEGEND.items()
    )
    return f"<div class=legend>{items}</div>"


def _pass_rates(c: _Class) -> list[tuple[str, float, int]]:
    """Each check's share of passes among the submissions that ran it (none ran it: no bar)."""
    ran: dict[tuple[str, str], list[int]] = {(w, col.id): [0, 0] for w, col in c.columns}
    for (_, w, check), r in c.cells.items():
        if (w, check) in ran:
            ran[w, check][0] += r.outcome == "passed"
            ran[w, check][1] += 1
    rates = []
    for w, col in c.columns:
        passed, count = ran[w, col.id]
        if count:
            rates.append((f"{w}: {col.title or col.id}", passed / count, count))
    return sorted(rates, key=lambda x: (x[1], x[0]))


def _late(g: Grade) -> str:
    """How late the graded commit was; a week with nothing graded is never "on time"."""
    later = f"{g.late_commits} later {'commit' if g.late_commits == 1 else 'commits'} not graded"
    if g.commit is None or g.status in ("no-submission", "fetch-failed"):
        return f"nothing by the deadline; {later}" if g.late_commits and not g.commit else "—"
    if g.late_days:
        return f"{late_words(g.late_days)} late, {g.penalty:g} points off"
    return f"on time; {later}" if g.late_commits else "on time"


def _status(g: Grade) -> str:
    """The status, and how the checker ended when that was not cleanly."""
    ended = exit_words(g.exit_code)
    return f"{g.status} (checker {ended})" if ended else g.status


def _week_rows(c: _Class, s: Student) -> str:
    """Each week's status, graded commit, lateness and points (every week, graded or not)."""
    rows = []
    for w in c.cg.weeks:
        g = c.table[s.id].get(w)
        cells = [_t(w), LEGEND[NOT_GRADED], "—", "—", f"0 / {c.marks[w]:g}"]
        if g is not None:
            commit = f"<code>{_t(g.commit[:12])}</code>" if g.commit else "—"
            late = f'<span class="{"late" if g.late_days else ""}">{_t(_late(g))}</span>'
            cells = [_t(w), _t(_status(g)), commit, late, f"{g.points:g} / {c.marks[w]:g}"]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("week", "status", "commit", "late", "points"))
    flags = [f"<li>{_t(w)}: {_t(f)}</li>" for w in c.cg.weeks for f in _flags(c, s, w)]
    noted = f"<ul class=flags>{''.join(flags)}</ul>" if flags else ""
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>{noted}"


def _flags(c: _Class, s: Student, week: str) -> tuple[str, ...]:
    g = c.table[s.id].get(week)
    return g.notes if g else ()


def _item(badge: str, colour: str, week: str, title: str, detail: str) -> str:
    dark = " ng" if colour == NOT_GRADED else ""  # white on light grey would not read
    return (
        f'<li><span class="badge{dark}" style="background:var(--{colour})">{_t(badge)}</span>'
        f"{_t(week)}: <b>{_t(title)}</b><div class=detail>{detail}</div></li>"
    )


def _misses(c: _Class, s: Student) -> str:
    """What to tell the student: weeks not graded and why, then every check that did not pass."""
    items, grades = [], []
    for w in c.cg.weeks:
        g = c.table[s.id].get(w)
        if g is None or g.report is None or g.status != "graded":
            why = g.message[:MESSAGE_CHARS] if g else "this run has no grade for the week"
            items.append(_item(g.status if g else "missing", NOT_GRADED, w, "not graded", _t(why)))
        grades += [g] if g else []
    for g in grades:
        items += _failed(g)
    if not items:
        return "<p class=ok>All checks passed.</p>"
    return f"<ul class=miss>{''.join(items)}</ul>"


def _failed(g: Grade) -> list[str]:
    """Each check of the week that did not pass; blocked ones saying the same thing are one
    line with a count (a week whose code did not run blocks most of its checks alike)."""
    lines: list[tuple[str, str, list[str]]] = []  # outcome, detail, titles; in run order
    for r in g.checks:
        parts = (("expected", r.expected), ("found", r.found), ("hint", r.hint))
        detail = "\n".join(f"<b>{k}:</b> {_t(v)}" for k, v in parts if v)
        alike = (t for o, d, t in lines if o == r.outcome == "blocked" and d == detail)
        same = next(alike, None)
        if same is not None:
            same.append(r.title or r.id)
        elif r.outcome != "passed":
            lines.append((r.outcome, detail, [r.title or r.id]))
    return [
        _item(o if len(t) == 1 else f"{len(t)} {o}", o, g.week, _titles(t), d) for o, d, t in lines
    ]


def _titles(titles: list[str]) -> str:
    more = len(titles) - BLOCKED_TITLES
    return ", ".join(titles[:BLOCKED_TITLES]) + (f" and {more} more" if more > 0 else "")


def _students(c: _Class) -> str:
    return "".join(
        f'<section class=student id="s-{file_stem(s.id)}"><h3>{_t(s.name)} '
        f"<span class=id>{_t(s.id)} · {c.total(s):g} / {c.full:g} points</span></h3>"
        f"{_week_rows(c, s)}{_misses(c, s)}</section>"
        for s in c.cg.students()
    )


def render(cg: ClassGrades) -> str:
    """The whole page as one string; opens offline in any browser."""
    c = _Class.of(cg)
    body = (
        _header(cg)
        + "<h2>Checks by student</h2>"
        + _legend()
        + charts.heatmap(cg.students(), c.columns, c.cells, c.total, c.full)
        + "<h2>Pass rate per check, lowest first</h2>"
        + charts.bars(_pass_rates(c))
        + "<h2>Total scores</h2>"
        + charts.histogram([c.total(s) for s in cg.students()], c.full)
        + "<h2>Students</h2>"
        + _students(c)
    )
    return (
        '<!DOCTYPE html><html lang=en><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_t(cg.course)}: class report</title>"
        f"<style>{CSS.read_text(encoding='utf-8')}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )
