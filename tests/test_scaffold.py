"""Scaffolding: render only *.jinja with StrictUndefined, copy the rest byte for byte."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mlops_roadmap import course, scaffold, workspace
from mlops_roadmap.errors import RoadmapError

BINARY = bytes(range(256)) + b"{{ not a template }}"


def test_copies_bytes_renders_jinja_keeps_modes(toy_course: Path, tmp_path: Path) -> None:
    template = toy_course / "templates" / "week01"
    (template / "data.bin").write_bytes(BINARY)
    (template / "run.sh").write_text("#!/bin/sh\necho {{ not rendered }}\n")
    os.chmod(template / "run.sh", 0o755)
    c = course.load(toy_course)
    ws = workspace.init(tmp_path / "ws")
    week = c.plan.week(1)
    report = scaffold.lay(c, week, ws, ws.week_dir(week), force=False)
    target = ws.week_dir(week)
    assert sorted(report.created) == ["README.md", "answer.txt", "data.bin", "greet.py", "run.sh"]
    assert (target / "data.bin").read_bytes() == BINARY
    assert (target / "run.sh").read_text() == "#!/bin/sh\necho {{ not rendered }}\n"
    assert (target / "run.sh").stat().st_mode & stat.S_IXUSR
    assert (target / "greet.py").read_text().startswith("# First steps in ws")
    again = scaffold.lay(c, week, ws, target, force=False)
    assert again.created == [] and len(again.unchanged) == 5


def test_undefined_variable_names_template_and_line(toy_course: Path, tmp_path: Path) -> None:
    (toy_course / "templates" / "week01" / "bad.txt.jinja").write_text("ok\n{{ week.colour }}\n")
    c = course.load(toy_course)
    ws = workspace.init(tmp_path / "ws")
    with pytest.raises(
        RoadmapError,
        match=r"bad\.txt\.jinja:2: cannot render the template: "
        r".*'colour'",
    ):
        scaffold.lay(c, c.plan.week(1), ws, tmp_path / "out", force=False)


def test_mirror_problems_name_orphans_and_missing(toy_course: Path) -> None:
    (toy_course / "checks" / "week07").mkdir()
    (toy_course / "weeks" / "week02.md").unlink()
    problems = course.mirror_problems(course.load(toy_course))
    assert problems == [
        "checks/week07: no week 'week07' in roadmap.yaml (orphan)",
        "weeks/week02.md: missing lesson for week02",
    ]


def test_the_real_course_mirrors() -> None:
    assert course.mirror_problems(course.load(None)) == []
