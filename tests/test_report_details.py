"""The class report's details, on a class of real repositories graded and collected for real:
how a checker ended, lateness in hours or days, a week without a submission, the late chip
counting students, long names beside their ids, and repeated blocked checks on one line.
(``test_report_browser`` draws the page in Chromium; this reads its HTML.)"""

from __future__ import annotations

import re
from typing import Any

import pytest

from mlops_roadmap.grading.model import exit_words, late_words
from mlops_roadmap.roadmap import LatePolicy
from tests import toyclass
from tests.toyclass import Commit, week_files

DEADLINE = "2026-11-08T23:59:00+00:00"
LONG = "Maximiliana Wilhelmina Theodora von Hohenzollern-Sigmaringen und Brandenburg-Ansbach"
BLOCKED = "train.py did not run: ModuleNotFoundError"
ANSWER, GREETING = "test_first.py::test_answer", "test_first.py::test_greeting"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("report-class")
    both = {**week_files("week01"), **week_files("week02")}
    history = {
        "ada": [Commit("2026-11-05T10:00Z", both)],
        "killed": [Commit("2026-11-05T10:00Z", both)],
        "failing": [Commit("2026-11-05T10:00Z", both)],
        "blocked": [Commit("2026-11-05T10:00Z", both)],
        "hours": [Commit("2026-11-10T05:59Z", both)],  # 30 h late, both weeks
        "days": [Commit("2026-11-05T10:00Z", week_files("week01")),
                 Commit("2026-11-14T11:59Z", week_files("week02"))],  # week 2: 5.5 days late
        "noweek2": [Commit("2026-11-05T10:00Z", week_files("week01"))],
        "longname": [Commit("2026-11-05T10:00Z", both)],
    }  # fmt: skip
    repos = {sid: toyclass.repo(root / sid, c) for sid, c in history.items()}

    def answer(student: str, week: str, commit: str) -> dict[str, Any] | str:
        if student == "killed" and week == "week01":
            return toyclass.document(student, week, commit, returncode=-9)
        if student == "failing" and week == "week01":
            return toyclass.document(student, week, commit, returncode=2)
        if student == "blocked" and week == "week01":
            stuck = toyclass.verdict(week, {ANSWER: "blocked", GREETING: "blocked"}, BLOCKED)
            return toyclass.document(student, week, commit, stuck)
        return toyclass.document(student, week, commit)

    roster = toyclass.roster(root / "roster.csv", repos, {"longname": LONG})
    late = LatePolicy("penalty", 0.1)
    run = toyclass.grade_class(root, roster, (1, 2), answer, deadline=DEADLINE, late=late)
    page = (run.out / "report.html").read_text(encoding="utf-8")
    return {"run": run, "page": page}


def section(page: str, sid: str) -> str:
    """One student's section of the page."""
    start = page.index(f'<section class=student id="s-{sid}">')
    return page[start : page.index("</section>", start)]


def week_row(page: str, sid: str, week: str) -> list[str]:
    """The cells of a student's row for ``week``, as text."""
    row = re.search(rf"<tr><td>{week}</td>(.*?)</tr>", section(page, sid))
    assert row is not None, f"no {week} row for {sid}"
    return [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td>(.*?)</td>", row.group(1))]


def test_a_checker_that_did_not_exit_cleanly_shows(report: dict[str, Any]) -> None:
    page, run = report["page"], report["run"]
    assert run.of("killed", "week01").exit_code == -9
    assert week_row(page, "killed", "week01")[0] == "crashed (checker killed by SIGKILL)"
    assert week_row(page, "failing", "week01")[0] == "crashed (checker exited with status 2)"
    assert week_row(page, "ada", "week01")[0] == "graded"
    assert "the checker did not exit cleanly (exit -9)" in section(page, "killed")


def test_lateness_is_in_hours_or_days_and_a_missing_week_is_not_on_time(
    report: dict[str, Any],
) -> None:
    page = report["page"]
    assert week_row(page, "hours", "week01")[2] == "30 h late, 0.6 points off"
    assert week_row(page, "days", "week01")[2] == "on time"  # week 2's later work is week 2's
    assert week_row(page, "days", "week02")[2].startswith("5.5 days late, ")
    status, _, late, points = week_row(page, "noweek2", "week02")
    assert (status, late, points) == ("no-submission", "—", "0 / 2")
    assert "on time" not in section(page, "noweek2").split("week02", 1)[1].split("</tr>")[0]


def test_the_late_chip_counts_students(report: dict[str, Any]) -> None:
    run, page = report["run"], report["page"]
    late_weeks = sum(1 for g in run.grades.grades if g.late_days > 0)
    assert late_weeks == 3 and run.grades.summary["late"] == 2  # hours (twice) and days
    assert "<li>late <b>2</b> students</li>" in page


def test_long_names_leave_the_id_in_sight(report: dict[str, Any]) -> None:
    page = report["page"]
    heat = page[page.index("<table class=heat>") : page.index("</table>")]
    label = f"<span class=nm>{LONG}</span> <span class=id>longname</span></a>"
    assert label in heat  # the name truncates in its own box; the id is not inside it
    css = page[page.index("<style>") : page.index("</style>")]
    assert ".heat a .nm { flex: 0 1 auto; min-width: 2em; overflow: hidden;" in css
    assert ".heat a .id { flex: none;" in css


def test_repeated_blocked_checks_are_one_line(report: dict[str, Any]) -> None:
    mine = section(report["page"], "blocked")
    assert mine.count(BLOCKED) == 1
    assert (
        "2 blocked</span>week01: <b>answer.txt holds the answer, greet.py greets the world</b>"
        in mine
    )


@pytest.mark.parametrize(
    ("days", "words"),
    [(0.001, "1 min"), (0.02, "29 min"), (0.5, "12 h"), (1.25, "30 h"), (1.97, "47 h"), (1.99, "2 days"),
     (2.0, "2 days"), (5.49, "5.5 days"), (12.04, "12 days")],
)  # fmt: skip
def test_late_words_round(days: float, words: str) -> None:
    assert late_words(days) == words


def test_exit_words() -> None:
    assert [exit_words(c) for c in (None, 0, 1, -9, -15, 137, 300)] == [
        "", "", "exited with status 1", "killed by SIGKILL", "killed by SIGTERM",
        "exited with status 137 (killed by SIGKILL)", "exited with status 300",
    ]  # fmt: skip
