"""The sandboxes a class can be graded in, by name: an explicit registry of factories, as
pre-commit keeps its languages, each making a ``sandbox.Backend``. `grade --backend` offers the
registry's names and ``auto``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading.backend_names import AUTO, choices

if TYPE_CHECKING:  # the CLI imports this module for `--backend`: keep its start-up light
    from mlops_roadmap.grading.backend_names import BackendName
    from mlops_roadmap.grading.sandbox import Backend


@dataclass(frozen=True)
class Setting:
    """What a backend is made from."""

    course_root: Path
    out: Path  # the run's output folder (the kubernetes backend stages its bundle there)
    collect: Path | None = None  # kubernetes: read a finished Job's verdicts from this folder


def _process(setting: Setting) -> Backend:
    from mlops_roadmap.grading.jail import ProcessBackend

    return ProcessBackend(course_root=setting.course_root)


def _docker(setting: Setting) -> Backend:
    from mlops_roadmap.grading.container import DockerBackend

    return DockerBackend(course_root=setting.course_root)


def _kubernetes(setting: Setting) -> Backend:
    """A batch system, not a sandbox: stage the submissions for a Job, or collect its verdicts."""
    from mlops_roadmap.grading.kubebackend import PodVerdicts, Stager

    if setting.collect is not None:
        return PodVerdicts(setting.collect)
    return Stager(setting.out / "kubernetes" / "staging", setting.course_root)


BACKENDS: dict[BackendName, Callable[[Setting], Backend]] = {
    "process": _process,
    "docker": _docker,
    "kubernetes": _kubernetes,
}


__all__ = ["AUTO", "BACKENDS", "Setting", "choices", "choose"]


def choose(name: str, setting: Setting) -> Backend:
    """The backend called ``name``, ready to run here (or a RoadmapError saying why not)."""
    if setting.collect is not None and name != "kubernetes":
        raise RoadmapError("--collect reads a Kubernetes Job's results: add --backend kubernetes")
    if name == AUTO:
        docker = _docker(setting)
        return docker if docker.unavailable() is None else choose("process", setting)
    factory = next((make for known, make in BACKENDS.items() if known == name), None)
    if factory is None:
        raise RoadmapError(
            f"unknown sandbox backend {name!r}: choose one of {', '.join(choices())}"
        )
    backend = factory(setting)
    why = backend.unavailable()
    if why:
        raise RoadmapError(f"the {name} backend cannot run here: {why}")
    return backend
