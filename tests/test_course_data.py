"""One copy of each data set, under data/, laid by the weeks that declare it."""

from __future__ import annotations

import hashlib
import subprocess
from collections import defaultdict
from pathlib import Path, PurePosixPath

import pytest
import yaml

from mlops_roadmap import course, scaffold, workspace
from mlops_roadmap.errors import RoadmapError
from tests.conftest import REPO
from tests.timing import scaled

# Data by its format; .json counts too, though a scaffold may carry one on from the week it
# starts from (an API request, a dashboard): lineage proves those copies agree.
DATA_SUFFIXES = {".csv", ".tsv", ".parquet", ".feather", ".arrow", ".jsonl", ".ndjson", ".npy"}


def is_data(path: str) -> bool:
    return PurePosixPath(path).suffix in DATA_SUFFIXES or PurePosixPath(path).name == "DATA.md"


def committed() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, timeout=scaled(60)
    )
    return [p for p in listed.stdout.decode().split("\0") if p and (REPO / p).is_file()]


def carried_on(loaded: course.Course) -> set[str]:
    """Scaffold files that are the week they start from's finished file, as lineage proves."""
    from mlops_roadmap import lineage

    return {
        f"templates/{week.id}/{rel}"
        for week in loaded.plan.weeks
        if week.starts_from
        for rel in lineage.carried(loaded, week)
    }


def test_no_data_file_is_committed_twice() -> None:
    loaded = course.load(REPO)
    exempt = carried_on(loaded)
    copies: dict[str, list[str]] = defaultdict(list)
    for path in committed():
        if (is_data(path) or path.endswith(".json")) and path not in exempt:
            copies[hashlib.sha256((REPO / path).read_bytes()).hexdigest()].append(path)
    assert [paths for paths in copies.values() if len(paths) > 1] == []


def test_every_data_set_says_where_it_comes_from() -> None:
    sets = sorted(p for p in (REPO / "data").iterdir() if p.is_dir())
    assert [p.name for p in sets] == ["ames", "ames-deliveries", "ames-owners", "iris"]
    for folder in sets:
        text = (folder / "DATA.md").read_text("utf-8").lower()
        assert "source" in text and "licence" in text, folder.name


def test_each_fresh_scaffold_lays_exactly_its_declared_data() -> None:
    loaded = course.load(REPO)
    for week in loaded.plan.weeks:
        files = dict(scaffold.planned_files(loaded, week, "ws"))
        declared = {d.path: (REPO / "data" / d.source).read_bytes() for d in week.data}
        assert {rel: files[rel] for rel in files if is_data(rel)} == declared, week.id
        assert not any(is_data(p.name) for p in loaded.template(week).rglob("*")), week.id


def test_week3_is_laid_with_both_deliveries(tmp_path: Path) -> None:
    loaded = course.load(REPO)
    ws = workspace.init(tmp_path / "ws")
    week = loaded.plan.week(3)
    scaffold.lay(loaded, week, ws, ws.week_dir(week), force=False)
    laid = ws.week_dir(week) / "data"
    assert sorted(p.relative_to(laid).as_posix() for p in laid.rglob("*") if p.is_file()) == [
        "incoming/train-2.csv",
        "raw/test.csv",
        "raw/train.csv",
    ]
    train = (REPO / "data/ames/train.csv").read_bytes().splitlines(keepends=True)
    first, second = (laid / "raw/train.csv").read_bytes(), (laid / "incoming/train-2.csv")
    assert first + b"".join(second.read_bytes().splitlines(keepends=True)[1:]) == b"".join(train)


def test_the_checks_holdout_is_course_data_never_laid() -> None:
    loaded = course.load(REPO)
    holdout = (REPO / "data/ames/holdout.csv").read_bytes()
    assert holdout.count(b"\n") == 381  # the header and 380 sales
    for week in loaded.plan.weeks:
        assert holdout not in dict(scaffold.planned_files(loaded, week, "ws")).values()
    assert "data" in course.GRADED_PARTS and "solutions" not in course.GRADED_PARTS


def toy_with_data(toy_course: Path, data: object) -> course.Course:
    (toy_course / "data" / "greetings").mkdir(parents=True)
    (toy_course / "data" / "greetings" / "hello.csv").write_bytes(b"word\nhello\n")
    path = toy_course / "roadmap.yaml"
    plan = yaml.safe_load(path.read_text())
    plan["weeks"][0]["data"] = data
    path.write_text(yaml.safe_dump(plan, sort_keys=False))
    return course.load(toy_course)


def test_toy_week_lays_its_declared_data(toy_course: Path) -> None:
    loaded = toy_with_data(toy_course, {"data/hello.csv": "greetings/hello.csv"})
    files = dict(scaffold.planned_files(loaded, loaded.plan.week(1), "ws"))
    assert files["data/hello.csv"] == b"word\nhello\n"
    assert course.mirror_problems(loaded) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"data/hello.csv": "greetings/helo.csv"},
            'roadmap.yaml: weeks[0] (week01) -> data["data/hello.csv"]: no file '
            "data/greetings/helo.csv in the course: add it, or name a file under data/",
        ),
        (
            {"answer.txt": "greetings/hello.csv"},
            'roadmap.yaml: weeks[0] (week01) -> data["answer.txt"]: templates/week01/answer.txt '
            "lays the same file: remove one of them",
        ),
        (
            {"greet.py": "greetings/hello.csv"},
            'roadmap.yaml: weeks[0] (week01) -> data["greet.py"]: '
            "templates/week01/greet.py.jinja lays the same file: remove one of them",
        ),
    ],
)
def test_bad_data_source_names_the_place(toy_course: Path, data: object, message: str) -> None:
    loaded = toy_with_data(toy_course, data)
    with pytest.raises(RoadmapError) as err:
        dict(scaffold.planned_files(loaded, loaded.plan.week(1), "ws"))
    assert str(err.value) == message
    assert course.mirror_problems(loaded) == [message]
