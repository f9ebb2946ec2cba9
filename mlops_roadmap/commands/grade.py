"""`grade`: grade a class from its roster, into a gradebook, its files and a class report."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops_roadmap.course import Course
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import backends, grader
from mlops_roadmap.grading.model import ClassGrades, Limits
from mlops_roadmap.roadmap import Week


@dataclass(frozen=True)
class Graded:
    grades: ClassGrades
    files: list[Path]
    bundle: Path | None = None  # the Kubernetes Job's bundle, when one was written


def parse_deadline(text: str | None, given: str | None = None) -> datetime | None:
    """An ISO 8601 time such as 2026-12-01T23:59+01:00 (no offset: this machine's time zone)."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise RoadmapError(
            f"--deadline {given or text!r}: not an ISO 8601 time: write it like "
            "2026-12-01T23:59+01:00"
        ) from None
    return when if when.tzinfo else when.astimezone()


def parse_deadlines(
    texts: Sequence[str], weeks: tuple[Week, ...]
) -> tuple[datetime | None, dict[str, datetime]]:
    """``--deadline ISO`` (every week's) and ``--deadline week02=ISO`` (or ``2=ISO``: one
    week's own, which wins over the first)."""
    every: datetime | None = None
    own: dict[str, datetime] = {}
    for text in texts:
        name, is_own, when = text.partition("=")
        if not is_own:
            if every is not None:
                raise RoadmapError(
                    f"--deadline {text!r}: a second deadline for every week: give one, and "
                    f"name the week of any other (--deadline week02={text})"
                )
            every = parse_deadline(text)
            continue
        week = next((w for w in weeks if name.strip() in (w.id, str(w.number))), None)
        if week is None:
            graded = ", ".join(w.id for w in weeks)
            raise RoadmapError(
                f"--deadline {text!r}: {name.strip()!r} is not a week of this run ({graded})"
            )
        if week.id in own:
            raise RoadmapError(f"--deadline {text!r}: {week.id} already has a deadline")
        own[week.id] = parse_deadline(when.strip(), text) or _no_time(text)
    return every, own


def _no_time(text: str) -> datetime:
    raise RoadmapError(f"--deadline {text!r}: no time after '=': write week02=2026-12-01T23:59Z")


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mlops-roadmap" / "repos"


def weeks_to_grade(course: Course, numbers: list[int]) -> tuple[Week, ...]:
    if not numbers:
        raise RoadmapError("name the weeks to grade: --week N (repeatable)")
    weeks = tuple(course.plan.week(n) for n in dict.fromkeys(numbers))
    unchecked = [w.id for w in weeks if not course.has_checks(w)]
    if unchecked:
        have = ", ".join(str(w.number) for w in course.plan.weeks if course.has_checks(w))
        raise RoadmapError(
            f"{', '.join(unchecked)}: no automated checks to grade with yet (weeks with checks: "
            f"{have})"
        )
    return weeks


def with_limits(limits: Limits, settings: Sequence[str]) -> Limits:
    """``limits`` with each ``NAME=VALUE`` of ``--limit`` applied (a field of ``Limits``)."""
    import dataclasses

    fields = {f.name: f for f in dataclasses.fields(Limits)}
    changed: dict[str, Any] = {}
    for setting in settings:
        name, sep, text = setting.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in fields:
            raise RoadmapError(
                f"--limit {setting}: expected NAME=VALUE with NAME one of {', '.join(fields)}"
            )
        kind = int if fields[name].type in (int, "int") else float
        try:
            value = kind(text)
        except ValueError:
            raise RoadmapError(
                f"--limit {setting}: {name} takes {'a whole number' if kind is int else 'a number'}"
            ) from None
        if not 0 < value < float("inf"):
            raise RoadmapError(f"--limit {setting}: give a positive, finite {name}")
        changed[name] = value
    return dataclasses.replace(limits, **changed)


def make_request(
    course: Course,
    roster: Path,
    weeks: list[int],
    deadlines: Sequence[str],
    jobs: int,
    out: Path,
    force: bool,
    timeout: float,
    limit: Sequence[str] = (),
) -> grader.Request:
    """Check the command's arguments and turn them into a grading request."""
    if jobs < 1:
        raise RoadmapError(f"--jobs {jobs}: grade at least one submission at a time")
    if timeout <= 0:
        raise RoadmapError(f"--timeout {timeout:g}: give the seconds one submission may take")
    limits = Limits(wall_seconds=timeout, check_seconds=min(timeout, Limits.check_seconds))
    limits = with_limits(limits, limit)
    graded = weeks_to_grade(course, weeks)
    every, own = parse_deadlines(deadlines, graded)
    return grader.Request(
        roster=roster,
        weeks=graded,
        out=out.resolve(),
        cache=default_cache(),
        deadline=every,
        deadlines=own,
        jobs=jobs,
        force=force,
        limits=limits,
        late=course.plan.late_policy,
    )


def grade(
    course: Course,
    request: grader.Request,
    backend_name: str,
    on_graded: grader.OnGraded | None = None,
    *,
    image: str | None = None,
    collect: Path | None = None,
) -> Graded:
    """Grade the class and write every output file into ``request.out``.

    With the kubernetes backend, a first run packs the submissions and the Job's manifests
    (grades are ``queued``); a run with ``collect`` reads the pods' verdicts back.
    """
    from mlops_roadmap.grading import exports, kubebackend

    backend = backends.choose(backend_name, backends.Setting(course.root, request.out, collect))
    result = grader.grade_class(course, request, backend, on_graded)
    bundle = None
    if isinstance(backend, kubebackend.Stager):
        from mlops_roadmap.grading import image as grading_image

        name = f"{course.plan.course.id}-{request.roster.stem}"
        chosen = image or grading_image.tag(course.root)
        out = request.out / "kubernetes"
        bundle = backend.finish(out, name, chosen, request.limits, request.jobs)
    return Graded(result, exports.write_all(result, request.out), bundle)
