"""roadmap.yaml is validated once; every problem names the file, the place and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlops_roadmap import roadmap
from mlops_roadmap.errors import RoadmapError

TOY = Path(__file__).parent / "fixtures" / "toy-course" / "roadmap.yaml"


def write(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(TOY.read_text())
    edit(data)
    path = tmp_path / "roadmap.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_toy_roadmap_loads_into_frozen_models() -> None:
    plan = roadmap.load(TOY)
    assert [w.id for w in plan.weeks] == ["week01", "week02"]
    assert plan.weeks[0].folder == "week01-first-steps"
    assert plan.weeks[1].tools == ("python", "cloud")
    with pytest.raises(AttributeError):
        plan.weeks[0].title = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["weeks"][1]["resources"][0].update(url="aws docs"),
            "roadmap.yaml: weeks[1] (week02) -> resources[0].url: expected a URL, got 'aws docs'",
        ),
        (
            lambda d: d["weeks"][0].pop("title"),
            "roadmap.yaml: weeks[0] (week01): missing key 'title': add it",
        ),
        (
            lambda d: d["weeks"][1].update(tools=["python", "kubectl"]),
            "roadmap.yaml: weeks[1] (week02) -> tools[1]: expected one of airflow, cloud, docker, git, "
            "hadolint, kubernetes, make, node, promtool, python, terraform, got 'kubectl'",
        ),
        (
            lambda d: d["weeks"][1].update(id="week03"),
            "roadmap.yaml: weeks[1] (week03) -> id: expected week02 here (weeks are numbered in "
            "order), got 'week03'",
        ),
        (
            lambda d: d["weeks"][0].update(month=7),
            "roadmap.yaml: weeks[0] (week01) -> month: expected one of the months [1], got 7",
        ),
        (
            lambda d: d["weeks"][0].update(slug="First Steps"),
            "roadmap.yaml: weeks[0] (week01) -> slug: expected a lowercase-hyphenated slug like "
            "'intro-to-ml', got 'First Steps'",
        ),
        (
            lambda d: d["weeks"][0].update(tasks=[]),
            "roadmap.yaml: weeks[0] (week01) -> tasks: expected at least one entry, got an empty list",
        ),
        (
            lambda d: d.update(format=2),
            "roadmap.yaml: format: course format 2 is newer than this mlops-roadmap understands (1): "
            "upgrade mlops-roadmap",
        ),
        (
            lambda d: d.update(weeks={"week01": {}}),
            "roadmap.yaml: weeks: expected a list, got a mapping",
        ),
        (
            lambda d: d["weeks"][0].update(data={"/etc/passwd": "ames/train.csv"}),
            'roadmap.yaml: weeks[0] (week01) -> data["/etc/passwd"]: expected a path relative to '
            "the week folder, got '/etc/passwd' (an absolute path): write it like "
            "'data/raw/train.csv'",
        ),
        (
            lambda d: d["weeks"][0].update(data={"data/../../x.csv": "ames/train.csv"}),
            'roadmap.yaml: weeks[0] (week01) -> data["data/../../x.csv"]: expected a path '
            "relative to the week folder, got 'data/../../x.csv' ('..' leads out of the week "
            "folder): write it like 'data/raw/train.csv'",
        ),
        (
            lambda d: d["weeks"][1].update(data={"data/raw/train.csv": "../checks/holdout.csv"}),
            'roadmap.yaml: weeks[1] (week02) -> data["data/raw/train.csv"]: expected a path '
            "relative to data/, got '../checks/holdout.csv' ('..' leads out of data/): write it "
            "like 'ames/train.csv'",
        ),
        (
            lambda d: d.setdefault("grading", {}).update(held_out="ames/holdout.csv"),
            "roadmap.yaml: grading.held_out: expected a list of files under data/, like "
            "['ames/holdout.csv']",
        ),
        (
            lambda d: d.setdefault("grading", {}).update(held_out=["ames/../../x.csv"]),
            "roadmap.yaml: grading.held_out[0]: expected a path relative to data/, got "
            "'ames/../../x.csv' ('..' leads out of data/): write it like 'ames/holdout.csv'",
        ),
        (
            lambda d: d["weeks"][1].update(data={"data/raw/train.csv": "/srv/ames/train.csv"}),
            'roadmap.yaml: weeks[1] (week02) -> data["data/raw/train.csv"]: expected a path '
            "relative to data/, got '/srv/ames/train.csv' (an absolute path): write it like "
            "'ames/train.csv'",
        ),
        (
            lambda d: d["weeks"][1].update(data={"data/raw/train.csv": None}),
            'roadmap.yaml: weeks[1] (week02) -> data["data/raw/train.csv"]: expected a path '
            "relative to data/, got nothing",
        ),
        (
            lambda d: d["weeks"][1].update(data={"README.md": "ames/DATA.md"}),
            'roadmap.yaml: weeks[1] (week02) -> data["README.md"]: README.md is the week\'s '
            "lesson: lay the data under another name",
        ),
        (
            lambda d: d["weeks"][1].update(data=["ames/train.csv"]),
            "roadmap.yaml: weeks[1] (week02) -> data: expected a mapping of a path in the week "
            "folder to a file under data/, like 'data/raw/train.csv: ames/train.csv'",
        ),
        (
            lambda d: d["weeks"][0].update(starts_from="week02"),
            "roadmap.yaml: weeks[0] (week01) -> starts_from: expected an earlier week (there is "
            "none before week01), got 'week02': a scaffold starts from a week the learner has "
            "finished",
        ),
        (
            lambda d: d["weeks"][1].update(starts_from={"week": "week09"}),
            "roadmap.yaml: weeks[1] (week02) -> starts_from.week: expected an earlier week "
            "(week01), got 'week09': a scaffold starts from a week the learner has finished",
        ),
        (
            lambda d: d["weeks"][1].update(starts_from="week 1"),
            "roadmap.yaml: weeks[1] (week02) -> starts_from: expected a week id like 'week05', "
            "got 'week 1'",
        ),
        (
            lambda d: d["weeks"][1].update(starts_from={"week": "week01", "differs": ["/x"]}),
            "roadmap.yaml: weeks[1] (week02) -> starts_from.differs[0]: expected a path relative "
            "to the week folder, got '/x' (an absolute path): write it like 'requirements.txt'",
        ),
    ],
)
def test_bad_roadmap_names_the_place(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RoadmapError) as err:
        roadmap.load(write(tmp_path, edit))
    assert str(err.value) == message


def test_unknown_keys_warn_but_load(tmp_path: Path) -> None:
    plan = roadmap.load(write(tmp_path, lambda d: d["weeks"][0].update(colour="blue")))
    assert plan.warnings == ("roadmap.yaml: weeks[0] (week01) -> colour: unknown key, ignored",)


def test_data_and_lineage_load_into_the_week(tmp_path: Path) -> None:
    def edit(d):  # type: ignore[no-untyped-def]
        d["weeks"][1]["data"] = {"DATA.md": "ames/DATA.md", "data/raw/train.csv": "ames/train.csv"}
        d["weeks"][1]["starts_from"] = {"week": "week01", "differs": ["answer.txt"]}

    week = roadmap.load(write(tmp_path, edit)).weeks[1]
    assert week.data == (
        roadmap.DataFile("DATA.md", "ames/DATA.md"),
        roadmap.DataFile("data/raw/train.csv", "ames/train.csv"),
    )
    assert week.starts_from == roadmap.Lineage("week01", ("answer.txt",))
    short = roadmap.load(write(tmp_path, lambda d: d["weeks"][1].update(starts_from="week01")))
    assert short.weeks[1].starts_from == roadmap.Lineage("week01")
    assert short.weeks[0].data == () and short.weeks[0].starts_from is None


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "roadmap.yaml"
    path.write_text("format: 1\nweeks: [\n  - id: week01\n")
    with pytest.raises(RoadmapError, match=r"^roadmap.yaml: line \d+, column \d+: not valid YAML"):
        roadmap.load(path)
