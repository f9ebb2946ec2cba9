"""The sandboxes a class can be graded in, by name (an explicit registry, as pre-commit keeps)."""

from __future__ import annotations

from pathlib import Path

from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading.sandbox import Backend

NAMES = ("auto", "process", "docker", "kubernetes")


def _make(name: str, course_root: Path) -> Backend:
    if name == "process":
        from mlops_roadmap.grading.jail import ProcessBackend

        return ProcessBackend(course_root=course_root)
    from mlops_roadmap.grading.container import DockerBackend

    return DockerBackend(course_root=course_root)


def choose(name: str, course_root: Path) -> Backend:
    """The backend called ``name``; ``auto`` is Docker when an engine answers, else the jail."""
    if name not in NAMES:
        raise RoadmapError(f"unknown sandbox backend {name!r}: choose one of {', '.join(NAMES)}")
    if name == "kubernetes":  # a batch system, not a sandbox: `grade` drives it itself
        raise RoadmapError("the kubernetes backend writes a Job bundle: use `grade --backend`")
    if name == "auto":
        docker = _make("docker", course_root)
        return docker if docker.unavailable() is None else _make("process", course_root)
    backend = _make(name, course_root)
    why = backend.unavailable()
    if why:
        raise RoadmapError(f"the {name} backend cannot run here: {why}")
    return backend
