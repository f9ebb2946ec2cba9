"""Week 4 on the real CLI: static checks without an engine, image checks with a real one.

The slow tests need a Docker engine and the course base image: their session fixture runs
scripts/docker-engine.sh and scripts/base-image.sh (both idempotent; as root they install and
start what is missing). Each asserts that nothing labelled as week 4's, and no new
dangling layer, is left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    REPO,
    Cli,
    as_in_a_terminal,
    clean_env,
    docker_ready,
    exclusive,
    run_script,
)
from tests.timing import scaled, wait_until

SOLUTION = REPO / "solutions" / "week04"
FOLDER = "week04-docker-containers"
# Week 4's checks label what they make with their week; other weeks' checks (week 17 replays its
# pod on the same engine) may be running beside these tests and are not theirs to count.
LABEL = "mlops-roadmap.week=week04"
STATIC = {
    "test_week04_1_dockerfiles.py::test_train_dockerfile_lints",
    "test_week04_1_dockerfiles.py::test_serve_dockerfile_lints",
    "test_week04_1_dockerfiles.py::test_base_images_pinned",
    "test_week04_1_dockerfiles.py::test_non_root_user",
    "test_week04_1_dockerfiles.py::test_dockerignore_keeps_data_and_venvs_out",
}
NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}


def week4(cli: Cli, tmp_path: Path, solved: bool) -> Path:
    """A workspace with week 4 started (forced), optionally with the solution laid over it."""
    ws = tmp_path / "ws"
    assert cli("--course", REPO, "init", ws).returncode == 0
    assert cli("--course", REPO, "start", "4", "--force", cwd=ws).returncode == 0
    if solved:
        shutil.copytree(SOLUTION, ws / FOLDER, dirs_exist_ok=True)
    return ws / FOLDER


def check(cli: Cli, folder: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """`mlops-roadmap check --json` in the week folder: the checks by id, never a traceback."""
    result = cli("--course", REPO, "check", "--json", cwd=folder, env=env, timeout=900)
    assert "Traceback" not in result.stderr, result.stderr
    return {c["id"]: c for c in json.loads(result.stdout)["checks"]}


def outcomes(checks: dict[str, Any]) -> dict[str, str]:
    return {cid: c["outcome"] for cid, c in checks.items()}


def test_without_an_engine_the_static_checks_still_run(cli: Cli, tmp_path: Path) -> None:
    folder = week4(cli, tmp_path, solved=False)
    scaffold = check(cli, folder, NO_ENGINE)
    assert {cid for cid, o in outcomes(scaffold).items() if o == "failed"} == STATIC
    engine_checks = [c for cid, c in scaffold.items() if cid not in STATIC]
    assert len(engine_checks) == 7
    for blocked in engine_checks:
        assert blocked["outcome"] == "blocked"
        assert "no engine socket at /nonexistent/docker.sock" in blocked["found"]
        assert "start a Docker engine" in blocked["hint"]
    pinned = scaffold["test_week04_1_dockerfiles.py::test_base_images_pinned"]["found"]
    assert "FROM python (line 11) has no tag, so it means python:latest" in pinned
    ignore = scaffold["test_week04_1_dockerfiles.py::test_dockerignore_keeps_data_and_venvs_out"]
    assert "data/raw/train.csv" in ignore["found"] and ".venv/bin/python" in ignore["found"]

    shutil.copytree(SOLUTION, folder, dirs_exist_ok=True)
    solved = outcomes(check(cli, folder, NO_ENGINE))
    assert {cid for cid, o in solved.items() if o == "passed"} == STATIC
    assert {o for cid, o in solved.items() if cid not in STATIC} == {"blocked"}


def test_static_checks_read_what_the_files_mean(cli: Cli, tmp_path: Path) -> None:
    folder = week4(cli, tmp_path, solved=True)
    # Multi-stage, a build argument, a digest, a USER inherited from an earlier stage, and an
    # allow-list .dockerignore: all fine.
    (folder / "Dockerfile.serve").write_text(
        "ARG PY=3.11\n"
        "FROM python:${PY}-slim AS base\n"
        "RUN useradd --no-log-init --create-home --uid 10001 app\n"
        "USER 10001\n"
        "FROM base\n"
        "WORKDIR /app\n"
        "COPY serve.py .\n"
        'CMD ["python", "serve.py"]\n'
    )
    (folder / "Dockerfile.train").write_text(
        "FROM python@sha256:" + "a" * 64 + "\n"
        "WORKDIR /app\n"
        "COPY train.py .\n"
        "USER nobody:nogroup\n"
        'CMD ["python", "train.py"]\n'
    )
    (folder / ".dockerignore").write_text("*\n!train.py\n!serve.py\n!models/\n")
    passed = outcomes(check(cli, folder, NO_ENGINE))
    assert {cid for cid, o in passed.items() if o == "passed"} == STATIC

    (folder / "Dockerfile.train").write_text(
        'FROM python:latest\nUSER app\nUSER 0\nCMD ["python"]\n'
    )
    (folder / ".dockerignore").write_text("# only a comment\n.venv\n")
    found = check(cli, folder, NO_ENGINE)
    pinned = found["test_week04_1_dockerfiles.py::test_base_images_pinned"]
    assert "FROM python:latest (line 1) uses the moving tag latest" in pinned["found"]
    user = found["test_week04_1_dockerfiles.py::test_non_root_user"]
    assert user["found"] == "Dockerfile.train ends with USER 0"
    lint = found["test_week04_1_dockerfiles.py::test_train_dockerfile_lints"]
    assert "DL3007" in lint["found"] and "hadolint/wiki/DL3007" in lint["hint"]
    ignore = found["test_week04_1_dockerfiles.py::test_dockerignore_keeps_data_and_venvs_out"]
    assert ".git/HEAD" in ignore["found"] and "data/raw/test.csv" in ignore["found"]
    assert ".venv/bin/python" not in ignore["found"]


def test_engine_script_refuses_a_tcp_host() -> None:
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "docker-engine.sh")],
        env={**os.environ, "DOCKER_HOST": "tcp://127.0.0.1:2375"},
        capture_output=True,
        text=True,
        timeout=scaled(30),
        check=False,
    )
    assert result.returncode == 1
    assert "is not a unix socket; start that engine yourself" in result.stderr


# --- with a real engine ------------------------------------------------------------------


@pytest.fixture(scope="session")
def engine() -> Iterator[Any]:
    """A Docker client of a running engine that holds the course base image."""
    docker_ready()
    import docker

    client = docker.from_env()
    yield client
    client.close()


def leftovers(client: Any) -> list[str]:
    """What any check left behind: labelled containers and images."""
    containers = client.containers.list(all=True, filters={"label": LABEL})
    images = client.images.list(filters={"label": LABEL})
    return [f"container {c.short_id}" for c in containers] + [f"image {i.short_id}" for i in images]


def dangling(client: Any) -> set[str]:
    """Untagged images week 4's labels reach. Other tests build on the same engine side by side
    (week 17's pod, the grading image), and their layers in flight are dangling for a while:
    an unlabelled layer cannot be told apart, so only week 4's are counted."""
    mine = {"dangling": True, "label": LABEL}
    return {i.id for i in client.images.list(all=True, filters=mine)}


@pytest.fixture
def tidy(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The engine client; after the test, nothing labelled and no new dangling layer. One such
    test at a time: each would count what another's checks have in flight."""
    with exclusive("week04-engine", tmp_path_factory):
        before = dangling(engine)
        yield engine
        assert leftovers(engine) == []
        assert dangling(engine) - before == set()


@pytest.mark.slow
def test_scripts_are_idempotent(engine: Any) -> None:
    started = time.monotonic()
    assert "answering at" in run_script("docker-engine.sh", 60).stdout
    assert "already exists" in run_script("base-image.sh", 60).stdout
    assert time.monotonic() - started < scaled(10)
    assert engine.images.get("mlops-roadmap/python:3.11-bookworm").attrs["Size"] < 500e6


@pytest.mark.slow
def test_course_verify_week4(cli: Cli, tmp_path: Path, tidy: Any) -> None:
    result = cli("--course", REPO, "course", "verify", "--week", "4", cwd=tmp_path, timeout=900)
    assert "✔ week04: solution 12/12 passed, scaffold fails" in result.stdout, result.stdout
    # Only week 4's own problems count here: other weeks may be mid-way through being written.
    problems = [
        line
        for line in result.stdout.splitlines()
        if "week04" in line and not line.lstrip().startswith(("✔", "week04: checking"))
    ]
    assert problems == []


@pytest.mark.slow
def test_broken_dockerfile_fails_with_the_build_log(cli: Cli, tmp_path: Path, tidy: Any) -> None:
    folder = week4(cli, tmp_path, solved=True)
    train = folder / "Dockerfile.train"
    train.write_text(
        train.read_text().replace(
            "COPY train.py .\n", 'COPY train.py .\nRUN echo "about to break" && exit 3\n'
        )
    )
    checks = check(cli, folder)
    built = checks["test_week04_2_images.py::test_training_image_builds"]
    assert built["outcome"] == "failed"
    assert "returned a non-zero code: 3" in built["found"]
    assert "last lines of the build log:" in built["found"]
    assert "about to break" in built["found"]
    assert "Removing intermediate container" not in built["found"]
    assert built["hint"].startswith("A RUN step failed")
    later = [c for cid, c in checks.items() if cid.startswith("test_week04_2") and c is not built]
    assert {c["outcome"] for c in later} == {"blocked"}


@pytest.mark.slow
def test_server_on_loopback_inside_is_named(cli: Cli, tmp_path: Path, tidy: Any) -> None:
    folder = week4(cli, tmp_path, solved=True)
    serve = folder / "Dockerfile.serve"
    serve.write_text(serve.read_text().replace('"0.0.0.0"', '"127.0.0.1"'))
    health = check(cli, folder)["test_week04_2_images.py::test_serving_answers_health"]
    assert health["outcome"] == "failed"
    assert "it listens on 127.0.0.1 inside the container" in health["found"]
    assert "Uvicorn running on http://127.0.0.1:8000" in health["found"]


def interrupt_when(folder: Path, home: Path, ready: Any, client: Any) -> int:
    """Start `mlops-roadmap check`, press Ctrl-C once ``ready(client)`` holds; its exit code."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlops_roadmap", "--course", str(REPO), "check"],
        cwd=folder,
        env=clean_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=as_in_a_terminal,
    )
    try:
        wait_until(lambda: proc.poll() is not None or ready(client), 120, "the moment never came")
        assert proc.poll() is None, "the check finished before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        return proc.wait(timeout=scaled(120))
    finally:
        proc.kill()


def running(client: Any, command: str) -> bool:
    return any(
        command in " ".join(c.attrs["Config"]["Cmd"] or []) for c in client.containers.list()
    )


@pytest.mark.slow
def test_ctrl_c_during_a_build_leaves_nothing(cli: Cli, tmp_path: Path, tidy: Any) -> None:
    folder = week4(cli, tmp_path, solved=True)
    train = folder / "Dockerfile.train"
    train.write_text(
        train.read_text().replace("COPY train.py .\n", "COPY train.py .\nRUN sleep 41\n")
    )
    code = interrupt_when(folder, tmp_path / "home", lambda c: running(c, "sleep 41"), tidy)
    assert code == 130


@pytest.mark.slow
def test_ctrl_c_while_serving_leaves_nothing(cli: Cli, tmp_path: Path, tidy: Any) -> None:
    folder = week4(cli, tmp_path, solved=True)
    serve = folder / "Dockerfile.serve"
    serve.write_text(
        serve.read_text().replace('CMD ["uvicorn"', 'CMD ["sleep", "43"]\n# ["uvicorn"')
    )
    code = interrupt_when(folder, tmp_path / "home", lambda c: running(c, "sleep 43"), tidy)
    assert code == 130
