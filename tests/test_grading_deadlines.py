"""Deadlines on real repositories: each week graded at its own deadline, lateness counted only
from commits that changed the week's own folder (a late week-2 commit costs week 1 nothing), and
commit dates that disagree with their author dates flagged in every file the run writes."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from mlops_roadmap import course
from mlops_roadmap.commands.grade import make_request, parse_deadlines
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import gradebook, grades_json
from mlops_roadmap.roadmap import LatePolicy
from tests import toyclass
from tests.conftest import REPO, Cli
from tests.toyclass import Commit, week_files

D1, D2 = "2026-11-08T23:59:00+00:00", "2026-11-15T23:59:00+00:00"
WRONG = {"answer.txt": "41\n", "greet.py": "print('hello, world')\n"}
PENALTY = LatePolicy("penalty", 0.1)


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("deadline-class")
    history = {
        # week 1 on time, week 2 after week 1's deadline but on time for its own
        "ada": [Commit("2026-11-05T10:00Z", week_files("week01")),
                Commit("2026-11-12T10:00Z", week_files("week02"))],
        # week 1 wrong by its deadline, put right half a day late; week 2 later still
        "bob": [Commit("2026-11-05T10:00Z", week_files("week01", WRONG)),
                Commit("2026-11-09T12:00Z", week_files("week01")),
                Commit("2026-11-12T10:00Z", week_files("week02"))],
        # committed "on time", but written four days after the deadline
        "eve": [Commit("2026-11-08T12:00Z", {**week_files("week01"), **week_files("week02")},
                       authored="2026-11-12T12:00Z")],
        # committed two days late, claiming to be written a week before the deadline
        "old": [Commit("2026-11-10T12:00Z", {**week_files("week01"), **week_files("week02")},
                       authored="2026-11-01T12:00Z")],
    }  # fmt: skip
    return {sid: toyclass.repo(root / sid, commits) for sid, commits in history.items()}


def graded(repos: dict[str, Path], root: Path, **how: object) -> toyclass.Graded:
    roster = toyclass.roster(root / "roster.csv", repos)
    return toyclass.grade_class(root, roster, (1, 2), toyclass.checked(repos), **how)  # type: ignore[arg-type]


def head(repo: Path, back: int = 0) -> str:
    return toyclass.git(repo, "rev-parse", f"HEAD~{back}")


def test_each_week_is_graded_at_its_own_deadline(repos: dict[str, Path], tmp_path: Path) -> None:
    run = graded(repos, tmp_path, deadlines={"week01": D1, "week02": D2}, late=PENALTY)
    ada1, ada2 = run.of("ada", "week01"), run.of("ada", "week02")
    assert (ada1.commit, ada1.late_days, ada1.late_commits, ada1.points) == (
        head(repos["ada"], 1),
        0,
        0,
        3,
    )
    assert (ada2.commit, ada2.late_days, ada2.points) == (head(repos["ada"]), 0, 1)  # cloud blocked
    bob1 = run.of("bob", "week01")
    assert (bob1.commit, bob1.late_commits) == (head(repos["bob"]), 1)
    assert bob1.late_days == pytest.approx(0.5 + 1 / 24 / 60)  # from the fix, not from week 2
    assert (bob1.penalty, bob1.points) == (pytest.approx(0.3), pytest.approx(2.7))
    assert run.grades.deadlines == {"week01": D1, "week02": D2}
    data = json.loads((run.out / "grades.json").read_text())
    assert data["deadlines"] == {"week01": D1, "week02": D2} and data["deadline"] is None
    assert grades_json.class_from_json(data).deadlines == run.grades.deadlines
    report = (run.out / "report.html").read_text()
    assert f"deadlines week01 {D1}, week02 {D2}" in report


def test_a_later_weeks_commit_costs_an_earlier_week_nothing(
    repos: dict[str, Path], tmp_path: Path
) -> None:
    """One deadline for both weeks: week 2's work after it makes week 2 late, not week 1."""
    run = graded(repos, tmp_path, deadline=D1, late=PENALTY)
    ada1, ada2 = run.of("ada", "week01"), run.of("ada", "week02")
    assert (ada1.status, ada1.commit, ada1.late_commits, ada1.penalty, ada1.points) == (
        "graded", head(repos["ada"], 1), 0, 0, 3,
    )  # fmt: skip
    assert ada2.commit == head(repos["ada"]) and ada2.late_commits == 1
    assert ada2.late_days == pytest.approx(3 + 10 / 24 + 1 / 24 / 60)
    assert ada2.penalty == pytest.approx(0.4 * ada2.max_points)
    rows = {
        r["id"]: r for r in csv.DictReader(io.StringIO((run.out / "gradebook.csv").read_text()))
    }
    assert (rows["ada"]["week01:late_days"], rows["ada"]["week01:penalty"]) == ("0", "0")


def test_only_on_time_work_counts_without_a_late_policy(
    repos: dict[str, Path], tmp_path: Path
) -> None:
    run = graded(repos, tmp_path, deadlines={"week01": D1, "week02": D2})
    bob1 = run.of("bob", "week01")
    assert (bob1.commit, bob1.late_commits, bob1.late_days) == (head(repos["bob"], 2), 1, 0)
    assert bob1.points == 1  # the wrong answer it had by the deadline
    report = (run.out / "report.html").read_text()
    assert "on time; 1 later commit not graded" in report


def test_dates_that_disagree_are_flagged(repos: dict[str, Path], tmp_path: Path) -> None:
    run = graded(repos, tmp_path, deadline=D1)
    eve, old = run.of("eve", "week01"), run.of("old", "week01")
    assert eve.status == "graded" and eve.late_commits == 0  # on time by its commit date ...
    assert eve.flags == (
        f"{head(repos['eve'])[:12]}: written 4 days after it was committed "
        "(author date 2026-11-12 12:00 UTC, commit date 2026-11-08 12:00 UTC)",
    )  # ... which its author date contradicts
    assert old.commit is None and old.status == "no-submission"  # late, whatever it claims
    assert (
        "nothing by the deadline; 1 later commit not graded"
        in (run.out / "report.html").read_text()
    )
    run = graded(repos, tmp_path / "penalty", deadline=D1, late=PENALTY)
    old = run.of("old", "week01")
    assert old.flags == (
        f"{head(repos['old'])[:12]}: authored 9 days before it was committed "
        "(author date 2026-11-01 12:00 UTC, commit date 2026-11-10 12:00 UTC)",
    )
    assert all(not run.of(s, w).flags for s in ("ada", "bob") for w in ("week01", "week02"))
    assert run.grades.summary["flagged"] == 2  # students, though each has two weeks flagged
    rows = {
        r["id"]: r for r in csv.DictReader(io.StringIO((run.out / "gradebook.csv").read_text()))
    }
    assert rows["eve"]["week01:notes"] == eve.flags[0] and rows["ada"]["week01:notes"] == ""
    data = json.loads((run.out / "grades.json").read_text())
    assert [g["flags"] for g in data["grades"] if g["student"] == "old"] == [list(old.flags)] * 2
    assert grades_json.class_from_json(data).grade("old", "week02") == run.of("old", "week02")
    stored = json.loads(json.dumps(gradebook.grade_to_json(eve)))  # as the gradebook keeps it
    assert gradebook.grade_from_json(stored, eve.student) == eve
    report = (run.out / "report.html").read_text()
    assert (
        "written 4 days after it was committed" in report and "flagged <b>2</b> students" in report
    )
    results = json.loads((run.out / "gradescope" / "eve" / "results.json").read_text())
    assert "written 4 days after it was committed" in results["output"]


def test_deadline_options_name_their_week() -> None:
    weeks = tuple(course.load(toyclass.TOY).plan.week(n) for n in (1, 2))
    every, own = parse_deadlines([D1, f"week02={D2}"], weeks)
    assert (every, own) == (
        parse_deadlines([D1], weeks)[0], {"week02": parse_deadlines([D2], weeks)[0]}
    )  # fmt: skip
    assert parse_deadlines([f"1={D1}"], weeks)[1].keys() == {"week01"}
    for given, message in (
        ([D1, D2], "a second deadline for every week"),
        ([f"week03={D1}"], "'week03' is not a week of this run (week01, week02)"),
        ([f"week01={D1}", f"1={D2}"], "week01 already has a deadline"),
        (["week01=friday"], "--deadline 'week01=friday': not an ISO 8601 time"),
        (["week01="], "no time after '='"),
    ):
        with pytest.raises(RoadmapError, match=re.escape(message)):
            parse_deadlines(given, weeks)


def test_the_command_takes_a_deadline_per_week(tmp_path: Path) -> None:
    real = course.load(REPO)
    request = make_request(
        real, tmp_path / "r.csv", [1, 2], [D1, f"2={D2}"], 2, tmp_path, False, 60
    )
    assert request.deadline_for("week01") == datetime.fromisoformat(D1)
    assert request.deadline_for("week02") == datetime.fromisoformat(D2)


def test_the_cli_takes_a_deadline_per_week(cli: Cli, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,repo\nada,Ada,/nowhere\n")
    done = cli("grade", roster, "--week", "2", "--deadline", f"week03={D1}", "--out", tmp_path)
    assert done.returncode == 1 and "'week03' is not a week of this run (week02)" in done.stderr
    assert "Traceback" not in done.stderr
