"""Laying a week's scaffold into the workspace.

One rule, from copier: files ending in ``.jinja`` are rendered with ``StrictUndefined`` (the suffix
dropped); everything else is copied byte for byte. A file the learner already has is never
overwritten unless asked, and then it is backed up first.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mlops_roadmap.course import Course
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.roadmap import Week
from mlops_roadmap.workspace import Workspace

SUFFIX = ".jinja"


@dataclass
class ScaffoldReport:
    """What laying the scaffold did to each file (paths relative to the week folder)."""

    folder: Path
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    overwritten: list[str] = field(default_factory=list)
    backup: Path | None = None


def planned_files(course: Course, week: Week, workspace_name: str) -> Iterator[tuple[str, bytes]]:
    """Every file of the fresh scaffold (its course data and its lesson as README.md included),
    with its content."""
    template = course.template(week)
    if not template.is_dir():
        raise RoadmapError(f"{template}: missing scaffold for {week.id} (a course bug)")
    for source in sorted(p for p in template.rglob("*") if p.is_file()):
        rel = source.relative_to(template).as_posix()
        if rel.endswith(SUFFIX):
            yield rel[: -len(SUFFIX)], _render(course, week, source, workspace_name)
        else:
            yield rel, source.read_bytes()
    for rel, data in course.data_files(week):
        yield rel, data.read_bytes()
    yield "README.md", course.lesson(week).read_bytes()


def lay(course: Course, week: Week, ws: Workspace, target: Path, force: bool) -> ScaffoldReport:
    """Write the scaffold into ``target``; existing different files are kept unless ``force``."""
    report = ScaffoldReport(target)
    template = course.template(week)
    for rel, content in planned_files(course, week, ws.root.name):
        dest = target / rel
        if dest.is_file() and dest.read_bytes() == content:
            report.unchanged.append(rel)
            continue
        if dest.exists() and not force:
            report.kept.append(rel)
            continue
        if dest.exists():
            report.backup = report.backup or ws.backup_dir() / target.name
            (report.backup / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(dest, report.backup / rel)
            report.overwritten.append(rel)
        else:
            report.created.append(rel)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(content)
        source = template / rel
        if source.is_file():
            shutil.copymode(source, dest)
    return report


def _render(course: Course, week: Week, source: Path, workspace_name: str) -> bytes:
    import jinja2

    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    context = {"week": week, "course": course.plan.course, "workspace_name": workspace_name}
    try:
        text = env.from_string(source.read_text(encoding="utf-8")).render(context)
    except jinja2.TemplateError as exc:
        line = getattr(exc, "lineno", None) or _template_line(exc)
        place = f":{line}" if line else ""
        raise RoadmapError(f"{source}{place}: cannot render the template: {exc}") from None
    return text.encode("utf-8")


def _template_line(exc: BaseException) -> int | None:
    """The template line a render-time error happened on (Jinja keeps it in the traceback)."""
    import traceback

    lines = [
        line
        for frame, line in traceback.walk_tb(exc.__traceback__)
        if frame.f_code.co_filename == "<template>"
    ]
    return lines[-1] if lines else None
