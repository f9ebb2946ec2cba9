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
            "roadmap.yaml: weeks[1] (week02) -> tools[1]: expected one of cloud, docker, git, "
            "hadolint, kubernetes, node, promtool, python, terraform, got 'kubectl'",
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
    ],
)
def test_bad_roadmap_names_the_place(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RoadmapError) as err:
        roadmap.load(write(tmp_path, edit))
    assert str(err.value) == message


def test_unknown_keys_warn_but_load(tmp_path: Path) -> None:
    plan = roadmap.load(write(tmp_path, lambda d: d["weeks"][0].update(colour="blue")))
    assert plan.warnings == ("roadmap.yaml: weeks[0] (week01) -> colour: unknown key, ignored",)


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "roadmap.yaml"
    path.write_text("format: 1\nweeks: [\n  - id: week01\n")
    with pytest.raises(RoadmapError, match=r"^roadmap.yaml: line \d+, column \d+: not valid YAML"):
        roadmap.load(path)
