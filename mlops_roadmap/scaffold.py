"""Laying a week's scaffold into the workspace.

One rule, from copier: files ending in ``.jinja`` are rendered with ``StrictUndefined`` (the suffix
dropped); everything else is copied byte for byte. What was laid is recorded (``laid``), so a
file the learner changed is never replaced: ``--force`` updates only the files still as laid.
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mlops_roadmap import laid, texts
from mlops_roadmap.course import Course
from mlops_roadmap.errors import COURSE_BUG, RoadmapError, clip
from mlops_roadmap.roadmap import Week
from mlops_roadmap.workspace import Workspace

SUFFIX = ".jinja"


@dataclass
class ScaffoldReport:
    """What laying the scaffold did to each file (paths relative to the week folder)."""

    folder: Path
    week: int
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already as the scaffold has it
    updated: list[str] = field(default_factory=list)  # was as laid: now the course's newer one
    outdated: list[str] = field(default_factory=list)  # as laid, newer in the course: not forced
    kept: list[str] = field(default_factory=list)  # changed by the learner since it was laid
    backup: Path | None = None  # reset: where the learner's changed and own files went
    backed_up: list[str] = field(default_factory=list)


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
            yield rel, texts.read_bytes(source, "scaffold file", COURSE_BUG)
    for rel, data in course.data_files(week):
        yield rel, texts.read_bytes(data, "data file", COURSE_BUG)
    yield "README.md", course.lesson_bytes(week)


def lay(course: Course, week: Week, ws: Workspace, target: Path, force: bool) -> ScaffoldReport:
    """Write the scaffold into ``target`` and record what was laid.

    A file that differs from the scaffold is kept; with ``force``, one the learner never changed
    since it was laid (its sha256 still the record's) is updated to the course's version.
    """
    path = ws.laid_record(week)
    try:
        report, files = lay_files(course, week, ws, target, force, laid.load(path))
    except OSError as exc:  # a full disk, an I/O error
        raise RoadmapError(
            f"{target}: cannot lay the scaffold ({exc}): free some space or fix the disk, then "
            f"run `mlops-roadmap start {week.number}` again; files you changed are never "
            "overwritten"
        ) from None
    laid.save(path, record(course, week, files))
    return report


def lay_files(
    course: Course, week: Week, ws: Workspace, target: Path, force: bool, before: laid.Record | None
) -> tuple[ScaffoldReport, dict[str, str]]:
    """Lay the files into ``target``; the report, and the sha256 each file is recorded with."""
    report = ScaffoldReport(target, week.number)
    template = course.template(week)
    files: dict[str, str] = {}
    for rel, content in planned_files(course, week, ws.root.name):
        dest = target / rel
        digest = laid.sha256(content)
        recorded = before.files.get(rel) if before else None
        fate = _fate(dest, digest, recorded, force)
        getattr(report, fate).append(rel)
        if fate in ("kept", "outdated"):
            if recorded:
                files[rel] = recorded
            continue
        files[rel] = digest
        if fate != "unchanged":
            _write(dest, content, template / rel, target, week)
    return report, files


def _write(dest: Path, content: bytes, source: Path, target: Path, week: Week) -> None:
    """Write one scaffold file (its mode as the course's); what stops it is a ``RoadmapError``
    saying what to move or make writable."""
    again = f"then run `mlops-roadmap start {week.number}` again"
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(content)
        if source.is_file():
            shutil.copymode(source, dest)
    except (FileExistsError, NotADirectoryError):
        blocker = next(p for p in (dest.parent, *dest.parents) if p.exists() or p.is_symlink())
        raise RoadmapError(
            f"{blocker}: a file stands where the scaffold puts a folder (for "
            f"{dest.relative_to(target.parent)}): move it aside, {again}"
        ) from None
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise  # a full disk: the caller says what it left as it was
        folder = next(p for p in (dest.parent, *dest.parents) if p.exists())
        raise RoadmapError(
            f"{dest}: cannot write it ({exc.strerror or exc}): make {folder} writable "
            f"(`chmod u+w {folder}`), {again}; files you changed are never overwritten"
        ) from None


def record(course: Course, week: Week, files: dict[str, str]) -> laid.Record:
    """The record of ``files`` (path to sha256) laid for ``week`` from ``course``."""
    info = course.plan.course
    return laid.Record(week.id, info.id, info.version, files)


def _fate(dest: Path, digest: str, recorded: str | None, force: bool) -> str:
    """Which ScaffoldReport list a planned file with sha256 ``digest`` falls in."""
    if not dest.exists() and not dest.is_symlink():
        return "created"
    try:
        current = laid.sha256(dest.read_bytes()) if dest.is_file() else None
    except OSError:  # unreadable: the learner's, whatever it holds
        return "kept"
    if current == digest:
        return "unchanged"
    if current is None or current != recorded:
        return "kept"  # the learner's version, or laid before records were kept
    return "updated" if force else "outdated"


def _render(course: Course, week: Week, source: Path, workspace_name: str) -> bytes:
    import jinja2

    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    context = {"week": week, "course": course.plan.course, "workspace_name": workspace_name}
    template = texts.read_text(source, "template", COURSE_BUG)
    try:
        text = env.from_string(template).render(context)
    except Exception as exc:  # the template's own code failed (Jinja's errors, 1/0, recursion)
        line = getattr(exc, "lineno", None) or _template_line(exc)
        place = f":{line}" if line else ""
        what = str(exc) if isinstance(exc, jinja2.TemplateError) else f"{type(exc).__name__}: {exc}"
        raise RoadmapError(
            f"{source}{place}: cannot render the template: {clip(what, 300)}: {COURSE_BUG}"
        ) from None
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
