"""A course on disk: ``roadmap.yaml`` plus folders that mirror each other by week id, and the
course's data sets under ``data/``, laid into the weeks that declare them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mlops_roadmap import plancache, roadmap, texts
from mlops_roadmap.errors import COURSE_BUG, RoadmapError

ENV_VAR = "MLOPS_ROADMAP_COURSE"
FOLDERS = ("weeks", "templates", "checks", "solutions")  # by week id; data/ is by data set
DATA = "data"
GRADED_PARTS = ("roadmap.yaml", "weeks", "templates", "checks", DATA)  # never solutions/
PREPARE = "prepare.sh"  # in solutions/weekNN: the commands a finished learner has run


@dataclass(frozen=True)
class Course:
    """The course's root folder and its validated roadmap."""

    root: Path
    plan: roadmap.Roadmap

    def lesson(self, week: roadmap.Week) -> Path:
        return self.root / "weeks" / f"{week.id}.md"

    def lesson_bytes(self, week: roadmap.Week) -> bytes:
        """The lesson's bytes (laid as the week folder's README.md)."""
        return texts.read_bytes(self.lesson(week), f"lesson for {week.id}", COURSE_BUG)

    def lesson_text(self, week: roadmap.Week) -> str:
        """The lesson, as `show` prints it."""
        return texts.read_text(self.lesson(week), f"lesson for {week.id}", COURSE_BUG)

    def template(self, week: roadmap.Week) -> Path:
        return self.root / "templates" / week.id

    def checks(self, week: roadmap.Week) -> Path:
        return self.root / "checks" / week.id

    def solution(self, week: roadmap.Week) -> Path:
        return self.root / "solutions" / week.id

    def data_files(self, week: roadmap.Week) -> list[tuple[str, Path]]:
        """The data files the week's scaffold lays: (path in the week folder, file under data/)."""
        files = []
        for entry in week.data:
            source = self.root / DATA / entry.source
            where = roadmap.place(week, f'data["{entry.path}"]')
            if not source.is_file():
                raise RoadmapError(
                    f"{where}: no file {DATA}/{entry.source} in the course: add it, or name a "
                    f"file under {DATA}/"
                )
            template = self.template(week) / entry.path
            for twin in (template, template.with_name(template.name + ".jinja")):
                if twin.exists():
                    rel = twin.relative_to(self.root).as_posix()
                    raise RoadmapError(f"{where}: {rel} lays the same file: remove one of them")
            files.append((entry.path, source))
        return files

    def held_out(self) -> list[tuple[str, Path]]:
        """The held-out answer files (``grading.held_out``): (path under data/, file); each must
        exist and no week may lay it."""
        laid = {e.source: w for w in self.plan.weeks for e in w.data}
        files = []
        for i, name in enumerate(self.plan.held_out):
            where = f"roadmap.yaml: grading.held_out[{i}]"
            path = self.root / DATA / name
            if not path.is_file():
                raise RoadmapError(f"{where}: no file {DATA}/{name} in the course: add it")
            if name in laid:
                raise RoadmapError(
                    f"{where}: {laid[name].id} lays {DATA}/{name} into the learner's folder: "
                    "held-out answers are never laid; lay another file or hold out another"
                )
            files.append((name, path))
        return files

    def has_checks(self, week: roadmap.Week) -> bool:
        """Whether the week has automated checks yet (a ``test_*.py`` in its checks folder)."""
        return any(self.checks(week).glob("test_*.py"))


def locate(explicit: Path | None = None) -> Path:
    """The course root: ``--course``, else $MLOPS_ROADMAP_COURSE, else the bundled course."""
    chosen = explicit or (Path(os.environ[ENV_VAR]) if os.environ.get(ENV_VAR) else None)
    if chosen is not None:
        if not (chosen / "roadmap.yaml").is_file():
            raise RoadmapError(
                f"{chosen}: not a course folder (no roadmap.yaml): check --course or ${ENV_VAR}"
            )
        return chosen.resolve()
    package = Path(__file__).resolve().parent
    for candidate in (package / "_course", package.parent):
        if (candidate / "roadmap.yaml").is_file():
            return candidate
    raise RoadmapError("no course found: pass --course DIR or set $" + ENV_VAR)


def load(explicit: Path | None = None) -> Course:
    """Locate and load the course once."""
    root = locate(explicit)
    return Course(root, plancache.load(root / "roadmap.yaml"))


def mirror_problems(course: Course) -> list[str]:
    """Where the course folders fail to mirror the roadmap by week id (empty when sound)."""
    ids = {w.id for w in course.plan.weeks}
    problems = []
    for folder in FOLDERS:
        base = course.root / folder
        names = (
            {p.stem if folder == "weeks" else p.name for p in base.iterdir()}
            if base.is_dir()
            else set()
        )
        names = {n for n in names if n.startswith("week")}
        problems += [
            f"{folder}/{n}: no week '{n}' in roadmap.yaml (orphan)" for n in sorted(names - ids)
        ]
    for week in course.plan.weeks:
        if not course.lesson(week).exists():
            problems.append(f"weeks/{week.id}.md: missing lesson for {week.id}")
        else:
            try:
                course.lesson_text(week)
            except RoadmapError as exc:
                problems.append(str(exc))
        if not course.template(week).is_dir():
            problems.append(f"templates/{week.id}/: missing scaffold for {week.id}")
        if course.has_checks(week) and not course.solution(week).is_dir():
            problems.append(f"solutions/{week.id}/: {week.id} has checks but no reference solution")
        if course.solution(week).is_dir() and not course.has_checks(week):
            problems.append(f"checks/{week.id}/: {week.id} has a solution but no checks")
        try:
            course.data_files(week)
        except RoadmapError as exc:
            problems.append(str(exc))
    return problems
