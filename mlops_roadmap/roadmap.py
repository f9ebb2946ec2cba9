"""The roadmap as typed, frozen models, loaded once from ``roadmap.yaml``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mlops_roadmap import course_yaml, texts
from mlops_roadmap.errors import RoadmapError, brief
from mlops_roadmap.schema import Node, Source
from mlops_roadmap.tools import TOOLS
from mlops_roadmap.week_links import (
    WEEK_ID,
    DataFile,
    Lineage,
    check_starts,
    data,
    held_out,
    starts_from,
)

FORMAT = 1
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Resource:
    title: str
    url: str


@dataclass(frozen=True)
class Week:
    """One week of the roadmap."""

    id: str
    slug: str
    month: int
    title: str
    objective: str
    tasks: tuple[str, ...]
    project: str
    resources: tuple[Resource, ...]
    stretch: tuple[str, ...]
    tools: tuple[str, ...]
    hints: tuple[str, ...]
    data: tuple[DataFile, ...] = ()
    starts_from: Lineage | None = None

    @property
    def number(self) -> int:
        return int(self.id[4:])

    @property
    def folder(self) -> str:
        """The name of the week's folder in a learner's workspace."""
        return f"{self.id}-{self.slug}"


@dataclass(frozen=True)
class Month:
    number: int
    title: str


@dataclass(frozen=True)
class CourseInfo:
    id: str
    title: str
    version: str


LATE_KINDS = ("none", "zero", "penalty")


@dataclass(frozen=True)
class LatePolicy:
    """What late work earns (``grading.late_policy`` in roadmap.yaml).

    none: only on-time work counts (the last commit at or before the deadline is graded);
    zero: the latest commit is graded, and late work scores 0;
    penalty: the latest commit is graded, less ``per_day`` of the week's points per day (or part
    of a day) late, and 0 after ``max_days`` (0: no cap).
    """

    kind: str = "none"
    per_day: float = 0.0
    max_days: int = 0


@dataclass(frozen=True)
class Roadmap:
    """The whole course plan."""

    format: int
    course: CourseInfo
    months: tuple[Month, ...]
    weeks: tuple[Week, ...]
    warnings: tuple[str, ...] = ()
    late_policy: LatePolicy = LatePolicy()
    held_out: tuple[str, ...] = ()  # files under data/ the checks judge with, never laid

    def week(self, number: int) -> Week:
        for week in self.weeks:
            if week.number == number:
                return week
        last = self.weeks[-1].number
        raise RoadmapError(f"there is no week {number}: this course has weeks 1 to {last}")


def load(path: Path, data: bytes | None = None) -> Roadmap:
    """Parse and validate ``roadmap.yaml`` (``data``: its bytes, when already read); any problem
    is a ``RoadmapError`` naming the place."""
    try:
        data = path.read_bytes() if data is None else data
    except FileNotFoundError:
        raise RoadmapError(f"{path}: not found: is this a course folder?") from None
    except OSError as exc:
        raise RoadmapError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    text = texts.decode(data, path.name, f"save {path.name} as UTF-8")
    source = Source(path.name)
    root = Node(course_yaml.parse(text, path.name), "", source)
    root.mapping(("format", "course", "months", "weeks"), ("grading",))
    version = root.get("format").integer(1)
    if version > FORMAT:
        raise root.get("format").error(
            f"course format {version} is newer than this mlops-roadmap understands ({FORMAT}): "
            "upgrade mlops-roadmap"
        )
    months = tuple(_month(n) for n in root.get("months").items())
    weeks = tuple(_week(n, {m.number for m in months}) for n in root.get("weeks").items("id"))
    _check_order(root.get("weeks"), weeks)
    check_starts(root.get("weeks"), [(w.id, w.starts_from) for w in weeks])
    late = _late_policy(root.get("grading"))
    held = held_out(root.get("grading"))
    course = _course(root.get("course"))
    return Roadmap(version, course, months, weeks, tuple(source.warnings), late, held)


def _late_policy(grading: Node) -> LatePolicy:
    if grading.value is None:
        return LatePolicy()
    grading.mapping((), ("late_policy", "held_out"))
    node = grading.get("late_policy")
    if node.value is None:
        return LatePolicy()
    node.mapping(("kind",), ("per_day", "max_days"))
    kind = node.get("kind").text()
    if kind not in LATE_KINDS:
        raise node.get("kind").error(f"expected one of {', '.join(LATE_KINDS)}, got {kind!r}")
    per_day = node.get("per_day")
    max_days = node.get("max_days")
    if kind == "penalty" and per_day.value is None:
        raise node.error("missing key 'per_day' (the share of points lost per day late): add it")
    return LatePolicy(
        kind,
        per_day.number(0, 1) if per_day.value is not None else 0.0,
        max_days.integer(0, 365) if max_days.value is not None else 0,
    )


def _course(node: Node) -> CourseInfo:
    node.mapping(("id", "title", "version"))
    return CourseInfo(
        node.get("id").text(SLUG, "a lowercase-hyphenated id"),
        node.get("title").text(),
        node.get("version").scalar("a version like '1.2'"),
    )


def _month(node: Node) -> Month:
    node.mapping(("number", "title"))
    return Month(node.get("number").integer(1, 99), node.get("title").text())


def _week(node: Node, months: set[int]) -> Week:
    node.mapping(
        ("id", "slug", "month", "title", "objective", "tasks", "project", "resources"),
        ("stretch", "tools", "hints", "data", "starts_from"),
    )
    month = node.get("month")
    if month.integer() not in months:
        raise month.error(f"expected one of the months {sorted(months)}, got {brief(month.value)}")
    tools = node.get("tools")
    names = tools.texts() if tools.value is not None else ()
    for i, name in enumerate(names):
        if name not in TOOLS:
            raise Node(name, f"{tools.where}[{i}]", node.source).error(
                f"expected one of {', '.join(sorted(TOOLS))}, got {name!r}"
            )
    return Week(
        id=node.get("id").text(WEEK_ID, "an id like 'week05'"),
        slug=node.get("slug").text(SLUG, "a lowercase-hyphenated slug like 'intro-to-ml'"),
        month=month.integer(),
        title=node.get("title").text(),
        objective=node.get("objective").text(),
        tasks=node.get("tasks").texts(allow_empty=False),
        project=node.get("project").text(),
        resources=tuple(_resource(n) for n in node.get("resources").items()),
        stretch=_optional_texts(node.get("stretch")),
        tools=names,
        hints=_optional_texts(node.get("hints")),
        data=data(node.get("data")),
        starts_from=starts_from(node.get("starts_from")),
    )


def _optional_texts(node: Node) -> tuple[str, ...]:
    return () if node.value is None else node.texts()


def _resource(node: Node) -> Resource:
    node.mapping(("title", "url"))
    return Resource(node.get("title").text(), node.get("url").url())


def _check_order(node: Node, weeks: tuple[Week, ...]) -> None:
    for i, (item, week) in enumerate(zip(node.items("id"), weeks, strict=False)):
        if week.number != i + 1:
            raise item.get("id").error(
                f"expected week{i + 1:02d} here (weeks are numbered in order), got {week.id!r}"
            )
    if not weeks:
        raise node.error("expected at least one week, got an empty list")


def place(week: Week, key: str) -> str:
    """Where ``key`` of ``week`` sits in roadmap.yaml, for errors found after loading."""
    return f"roadmap.yaml: weeks[{week.number - 1}] ({week.id}) -> {key}"
