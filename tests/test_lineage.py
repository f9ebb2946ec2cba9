"""Week lineage: a scaffold equals the finished week it starts from outside its own regions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from mlops_roadmap import course, lineage, regions, roadmap
from mlops_roadmap.errors import RoadmapError
from tests.conftest import REPO, Cli

MAIN = "app/main.py"


@pytest.fixture
def real_copy(tmp_path: Path) -> Path:
    """The parts of the real course lineage reads, copied."""
    dest = tmp_path / "course"
    for part in ("weeks", "templates", "solutions", "data"):
        shutil.copytree(REPO / part, dest / part)
    shutil.copy(REPO / "roadmap.yaml", dest / "roadmap.yaml")
    return dest


def replace_line(path: Path, old: str, new: str) -> int:
    """Replace the one line ``old`` of ``path`` by ``new``; its line number."""
    lines = path.read_text().split("\n")
    number = lines.index(old)
    lines[number] = new
    path.write_text("\n".join(lines))
    return number + 1


def line_of(path: Path, text: str) -> int:
    return path.read_text().split("\n").index(text) + 1


def test_the_real_course_has_no_lineage_problems() -> None:
    loaded = course.load(REPO)
    assert lineage.problems(loaded) == []
    starts = {w.id: w.starts_from.week for w in loaded.plan.weeks if w.starts_from}
    assert starts == {
        "week04": "week02",
        "week06": "week05",
        "week10": "week09",
        "week11": "week10",
        "week13": "week10",
        "week15": "week11",
        "week17": "week16",
        "week22": "week03",
        "week23": "week11",
    }
    for week in loaded.plan.weeks:
        if week.starts_from:
            assert len(lineage.carried(loaded, week)) >= 4, week.id  # code as well as data


def test_a_fix_left_out_of_the_next_scaffold_is_reported(real_copy: Path) -> None:
    solution = real_copy / "solutions" / "week10" / MAIN
    line = replace_line(
        solution, 'log = logging.getLogger("app")', 'log = logging.getLogger("api")'
    )
    template = real_copy / "templates" / "week11" / MAIN
    mine = line_of(template, 'log = logging.getLogger("app")')
    problems = lineage.problems(course.load(real_copy))
    # Weeks 11 and 13 both carry week 10's API: each scaffold is told.
    assert [(p.week, p.path) for p in problems] == [("week11", MAIN), ("week13", MAIN)]
    problem = problems[0]
    assert problem.message == (
        "templates/week11/app/main.py differs from week10's finished work outside its week11 "
        "regions:\n"
        f"  templates/week11/app/main.py:{mine}: 'log = logging.getLogger(\"app\")'\n"
        f"  solutions/week10/app/main.py:{line}: 'log = logging.getLogger(\"api\")'\n"
        "  copy the fix from solutions/week10/app/main.py into templates/week11/app/main.py, or "
        "mark the region TODO(week11) or NEW(week11) (docs/authoring.md), or declare it in "
        "week11's starts_from.differs in roadmap.yaml"
    )


def test_changes_inside_regions_are_the_weeks_own(real_copy: Path) -> None:
    template = real_copy / "templates" / "week11" / MAIN
    replace_line(
        template,
        "    #       houses, the model version), never the request's houses themselves.",
        "    #       houses and the model version; never the houses themselves.",
    )
    solution = real_copy / "solutions" / "week10" / MAIN
    replace_line(  # week 11 replaces the exception handler (a NEW region)
        solution,
        "    # The traceback goes to the logs; the client learns only that it was our fault.",
        "    # The traceback goes to the logs, never to the client.",
    )
    # Week 11's own regions; week 13 carries week 10's handler as it is, so it is told.
    problems = lineage.problems(course.load(real_copy))
    assert [(p.week, p.path) for p in problems] == [("week13", MAIN)]


def test_an_unmarked_addition_is_reported(real_copy: Path) -> None:
    template = real_copy / "templates" / "week06" / "train.py"
    replace_line(template, 'MODEL_NAME = "ames-price"  # NEW(week06): the registered model', "")
    (problem,) = lineage.problems(course.load(real_copy))
    assert problem.message.startswith(
        "templates/week06/train.py differs from week05's finished work outside its week06 "
        "regions:\n"
    )
    assert "solutions/week05/train.py:" in problem.message


def set_start(root: Path, week: int, starts_from: object) -> None:
    path = root / "roadmap.yaml"
    plan = yaml.safe_load(path.read_text())
    plan["weeks"][week - 1]["starts_from"] = starts_from
    path.write_text(yaml.safe_dump(plan, sort_keys=False))


def test_a_start_week_that_does_not_come_earlier_is_a_located_error(real_copy: Path) -> None:
    set_start(real_copy, 4, {"week": "week30", "differs": ["requirements.txt"]})
    with pytest.raises(RoadmapError) as err:
        roadmap.load(real_copy / "roadmap.yaml")
    assert str(err.value) == (
        "roadmap.yaml: weeks[3] (week04) -> starts_from.week: expected an earlier week (week01 "
        "to week03), got 'week30': a scaffold starts from a week the learner has finished"
    )


def test_declared_differences_stay_honest(real_copy: Path) -> None:
    set_start(real_copy, 6, {"week": "week05", "differs": ["requirements.txt", "env.sh", "x.py"]})
    messages = [p.message for p in lineage.problems(course.load(real_copy))]
    assert messages == [
        "roadmap.yaml: weeks[5] (week06) -> starts_from.differs: 'x.py' is not a file week06's "
        "scaffold carries on from week05: remove it",
    ]
    shutil.copy(real_copy / "templates/week05/env.sh", real_copy / "templates/week06/env.sh")
    messages = [p.message for p in lineage.problems(course.load(real_copy))]
    assert messages[0] == (
        "roadmap.yaml: weeks[5] (week06) -> starts_from.differs: 'env.sh' equals week05's "
        "finished work: remove it from the list"
    )


def test_a_stray_end_marker_names_its_line(real_copy: Path) -> None:
    template = real_copy / "templates" / "week10" / MAIN
    text = template.read_text()
    template.write_text("# END TODO(week10)\n" + text)
    (problem,) = lineage.problems(course.load(real_copy))
    assert problem.message == (
        "templates/week10/app/main.py:1: END TODO(week10) closes no region: remove it"
    )
    template.write_text(text.replace("from __future__", "# END TODO(week10)\nfrom __future__"))
    (problem,) = lineage.problems(course.load(real_copy))
    assert problem.message == (
        "templates/week10/app/main.py:14: END TODO(week10) closes NEW(week10) of line 11"
    )


FINISHED = "a = 1\nb = 2\n\nc = 3\n"


@pytest.mark.parametrize(
    "scaffold",
    [
        FINISHED,
        "a = 1\n# TODO(week02): make b\n#   two lines\n\nc = 3\n",  # a comment block
        "a = 1\nb = 2  # NEW(week02): b\n\nc = 3\n",  # a marked line
        "a = 1\n# NEW(week02): b and more\nb = 2\nz = 9\n# END NEW(week02)\n\nc = 3\n",
        "a = 1\nb = 2\n\nc = 3\n# TODO(week02): d, at the end\n",
        "# NEW(week02): at the start\na = 1\nb = 2\n\nc = 3\n",
    ],
)
def test_regions_match_anything_the_finished_file_had(scaffold: str) -> None:
    assert regions.first_mismatch(scaffold, FINISHED, "week02") is None


@pytest.mark.parametrize(
    ("scaffold", "mine", "theirs"),
    [
        ("a = 1\nb = 3\n\nc = 3\n", (2, "b = 3"), (2, "b = 2")),
        ("a = 1\nb = 2\n\nc = 3\nd = 4\n", (5, "d = 4"), (5, "")),
        ("a = 1\nb = 2\n", None, (4, "c = 3")),
        # another week's marker is only text
        ("a = 1\n# TODO(week01): b\n\nc = 3\n", (2, "# TODO(week01): b"), (2, "b = 2")),
        # a region holds code only down to its END
        (
            "# NEW(week02): a\na = 1\n# END NEW(week02)\nb = 9\n\nc = 3\n",
            (4, "b = 9"),
            (2, "b = 2"),
        ),
    ],
)
def test_the_first_difference_outside_regions(
    scaffold: str, mine: tuple[int, str] | None, theirs: tuple[int, str]
) -> None:
    found = regions.first_mismatch(scaffold, FINISHED, "week02")
    assert found == regions.Mismatch(regions.Line(*mine) if mine else None, regions.Line(*theirs))


def test_course_verify_reports_lineage_first(toy_course: Path, cli: Cli) -> None:
    """On the toy course: week 2's scaffold carries on week 1's greet.py, then a fix is lost."""
    set_start(toy_course, 2, "week01")
    greet = (toy_course / "solutions" / "week01" / "greet.py").read_text()
    template = toy_course / "templates" / "week02" / "greet.py"
    template.write_text(greet + "# TODO(week02): greet in a second language\n")
    result = cli("--course", toy_course, "course", "verify", "--week", "2")
    assert "week02: checking the lineage from week01" in result.stderr
    assert "differs from" not in result.stdout  # (the toy's cloud check is blocked here)

    (toy_course / "solutions" / "week01" / "greet.py").write_text('print("hello, World")\n')
    result = cli("--course", toy_course, "course", "verify", "--week", "2")
    assert result.returncode == 1
    assert "templates/week02/greet.py differs from week01's finished work" in result.stdout
    assert "solutions/week01/greet.py:1: 'print(\"hello, World\")'" in result.stdout
