"""Shared fixtures: a copy of the toy course, a workspace, and the real CLI in a subprocess.

Every timeout and wait in the tests scales with $MLOPS_ROADMAP_TEST_TIMEOUT_SCALE (default 1;
set it to 3 on a loaded machine) through ``tests.timing``: ``cli(..., timeout=N)`` and
``run_script(name, N)`` take nominal seconds and scale them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.timing import scale, scaled

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent

Cli = Callable[..., subprocess.CompletedProcess[str]]


def pytest_configure(config: pytest.Config) -> None:
    """A bad $MLOPS_ROADMAP_TEST_TIMEOUT_SCALE stops the run once, before any test."""
    try:
        scale()
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``first`` run before the rest (the order is otherwise kept): under
    `pytest -n 2` the other worker shares out everything else meanwhile, instead of one worker
    starting the longest test last and the other waiting for it."""
    items.sort(key=lambda item: item.get_closest_marker("first") is None)


def as_in_a_terminal() -> None:
    """``preexec_fn`` for a CLI a test will signal: it starts as a shell's foreground job does,
    with SIGINT and SIGHUP at their defaults, whatever this test run inherited (a background
    job starts with SIGINT ignored, `nohup` ignores SIGHUP, and Python keeps an ignored
    signal ignored)."""
    for signum in (signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


@contextlib.contextmanager
def exclusive(name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Held by one test at a time across the xdist workers of this run (a lock file in the
    run's shared temporary folder): for tests that count what a shared engine holds."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # each worker's basetemp sits in the run's one folder
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def clean_env(home: Path) -> dict[str, str]:
    """The environment the CLI runs in: no colour, a private HOME, no cloud credentials."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "MLOPS_ROADMAP_", "PYTEST_"))
    }
    env.update(NO_COLOR="1", HOME=str(home), COLUMNS="200", TERM="dumb", PYTHONPATH=str(REPO))
    return env


@pytest.fixture
def toy_course(tmp_path: Path) -> Path:
    """A private copy of the two-week toy course."""
    dest = tmp_path / "course"
    shutil.copytree(FIXTURES / "toy-course", dest)
    return dest


@pytest.fixture
def unchecked_course(tmp_path: Path) -> tuple[Path, str]:
    """A copy of the real course whose last week has no checks yet (its checks folder left
    out), as a course release with a week still being written has; the copy's root and that
    week's id. Pass it with --course or $MLOPS_ROADMAP_COURSE."""
    dest = tmp_path / "course-unchecked"
    ignore = shutil.ignore_patterns("__pycache__", ".mypy_cache", ".ruff_cache")
    for part in ("weeks", "templates", "solutions", "data", "checks"):
        shutil.copytree(REPO / part, dest / part, ignore=ignore)
    shutil.copy(REPO / "roadmap.yaml", dest / "roadmap.yaml")
    week = sorted(p.name for p in (dest / "checks").glob("week*"))[-1]
    shutil.rmtree(dest / "checks" / week)
    return dest, week


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """Run `mlops-roadmap ARGS` for real; returns the completed process (raises only when it
    outlives ``scaled(timeout)``)."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)

    def run(
        *args: str | Path,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mlops_roadmap", *map(str, args)],
            cwd=cwd or tmp_path,
            env={**clean_env(home), **(env or {})},
            capture_output=True,
            text=True,
            timeout=scaled(timeout),
            check=False,
        )

    return run


@pytest.fixture
def toy_ws(tmp_path: Path, toy_course: Path, cli: Cli) -> Path:
    """A fresh workspace on the toy course (MLOPS_ROADMAP_COURSE is passed with --course)."""
    ws = tmp_path / "ws"
    result = cli("--course", toy_course, "init", ws)
    assert result.returncode == 0, result.stderr
    return ws


def run_script(name: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run one of scripts/ (set-up scripts the slow suites need), capturing its output; it may
    take ``scaled(timeout)`` seconds."""
    return subprocess.run(
        ["bash", str(REPO / "scripts" / name)],
        capture_output=True,
        text=True,
        timeout=scaled(timeout),
        check=False,
    )


def docker_ready() -> None:
    """A Docker engine answers and the course's base image exists (started or built if not)."""
    for name, timeout in (("docker-engine.sh", 300), ("base-image.sh", 900)):
        done = run_script(name, timeout)
        assert done.returncode == 0, f"scripts/{name} failed:\n{done.stdout}\n{done.stderr}"
