"""`grade`: grade a class from its roster, into a gradebook, its files and a class report."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

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


def parse_deadline(text: str | None) -> datetime | None:
    """An ISO 8601 time such as 2026-12-01T23:59+01:00 (no offset: this machine's time zone)."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise RoadmapError(
            f"--deadline {text!r}: not an ISO 8601 time: write it like 2026-12-01T23:59+01:00"
        ) from None
    return when if when.tzinfo else when.astimezone()


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


def make_request(
    course: Course,
    roster: Path,
    weeks: list[int],
    deadline: str | None,
    jobs: int,
    out: Path,
    force: bool,
    timeout: float,
) -> grader.Request:
    """Check the command's arguments and turn them into a grading request."""
    if jobs < 1:
        raise RoadmapError(f"--jobs {jobs}: grade at least one submission at a time")
    if timeout <= 0:
        raise RoadmapError(f"--timeout {timeout:g}: give the seconds one submission may take")
    limits = Limits(wall_seconds=timeout, check_seconds=min(timeout, Limits.check_seconds))
    return grader.Request(
        roster=roster,
        weeks=weeks_to_grade(course, weeks),
        out=out.resolve(),
        cache=default_cache(),
        deadline=parse_deadline(deadline),
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
