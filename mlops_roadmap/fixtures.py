"""The fixtures every check can use: the learner's workspace, week folder, interpreter, a
subprocess runner with timeouts, a clean copy of the week folder, servers under test, and the
course's data sets. ``Run``, ``Serve`` and ``CleanCopy`` type the fixtures that are callables."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap import procs, servers
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.plugin import KEY, Context
from mlops_roadmap.roadmap import Week
from mlops_roadmap.venvs import venv_python

Run = Callable[..., procs.ProcessResult]
Serve = Callable[..., servers.Server]
CleanCopy = Callable[..., Path]


def _context(request: pytest.FixtureRequest) -> Context:
    return request.config.stash[KEY]


@pytest.fixture(scope="session")
def workspace(request: pytest.FixtureRequest) -> Path:
    """The learner's workspace root."""
    return _context(request).workspace


@pytest.fixture(scope="session")
def week_dir(request: pytest.FixtureRequest) -> Path:
    """The learner's folder for the week being checked."""
    return _context(request).week_dir


@pytest.fixture(scope="session")
def week(request: pytest.FixtureRequest) -> Week:
    """The week's entry in roadmap.yaml."""
    return _context(request).week


@pytest.fixture(scope="session")
def course_data(request: pytest.FixtureRequest) -> Path:
    """The course's data sets (its ``data/`` folder: one copy of each, laid by scaffolds)."""
    return _context(request).course_root / "data"


@pytest.fixture(scope="session")
def held_out(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> HeldOut:
    """The course's held-out answers (``grading.held_out``): ``held_out.column(name, "price")``
    for the labels a check scores against, ``held_out.features(name, drop=["price"])`` for a
    features-only copy the learner's code may read. In a graded sandbox they come from memory."""
    from mlops_roadmap import course

    root = _context(request).course_root
    declared = course.load(root).plan.held_out
    return HeldOut(root, declared, tmp_path_factory.mktemp("held-out"))


@pytest.fixture(scope="session")
def learner_venv(request: pytest.FixtureRequest) -> Path | None:
    """The learner's virtual environment: the week folder's, else the workspace's, else None."""
    ctx = _context(request)
    for root in (ctx.week_dir, ctx.workspace):
        if venv_python(root / ".venv").is_file():
            return root / ".venv"
    return None


@pytest.fixture(scope="session")
def learner_python(learner_venv: Path | None) -> Path:
    """The learner's interpreter (their virtual environment's, else the running one)."""
    return venv_python(learner_venv) if learner_venv else Path(sys.executable)


@pytest.fixture(scope="session")
def run(request: pytest.FixtureRequest) -> Run:
    """Run a command with a timeout, killing its whole process group; see ``procs.run``."""
    ctx = _context(request)

    def _run(args: Sequence[str | Path], **kwargs: Any) -> procs.ProcessResult:
        result = procs.run(args, **kwargs)
        ctx.learner_seconds += result.duration
        return result

    return _run


@pytest.fixture(scope="session")
def serve() -> Iterator[Serve]:
    """``serve(args, ready_path="/health", ready=None, cwd=None, env=None, timeout=60)``: start
    a server.

    ``{port}`` in the arguments becomes a free loopback port; returns once it is ready (``GET
    ready_path`` answers below 500, or ``ready(server)``, e.g. ``servers.answers("/ping",
    200)``), or raises ``ServerFailed`` with the server's last output. Every server started here
    is stopped (its whole process group) when the checks end, also on failure and Ctrl-C.
    """
    started: list[servers.Server] = []

    def _serve(args: Sequence[str | Path], **kwargs: Any) -> servers.Server:
        server = servers.start(args, **kwargs)
        started.append(server)
        return server

    try:
        yield _serve
    finally:
        for server in started:
            server.stop()


ENVIRONMENTS = {".venv", "venv", "__pycache__", ".git", ".ipynb_checkpoints", ".pytest_cache"}


@pytest.fixture(scope="session")
def clean_copy(week_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> CleanCopy:
    """``clean_copy(*outputs)``: a fresh copy of the week folder, for a run "from a clean start".

    Leaves out virtual environments and caches, and the named top-level ``outputs`` (such as
    ``reports``), so the learner's code must make them again. The learner's folder is untouched.
    """

    def _copy(*outputs: str) -> Path:
        left_out = ENVIRONMENTS | set(outputs)

        def ignore(folder: str, names: list[str]) -> set[str]:
            return {n for n in names if n in left_out} if Path(folder) == week_dir else set()

        dest = tmp_path_factory.mktemp("clean") / week_dir.name
        shutil.copytree(week_dir, dest, ignore=ignore, symlinks=True)
        return dest

    return _copy
