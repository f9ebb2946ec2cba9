"""The grading image and the Docker backend, on a real engine.

The slow tests need a Docker engine and the course base image: the session fixture runs
scripts/docker-engine.sh and scripts/base-image.sh (both idempotent), then builds the grading
image when its tag is missing. Each backend test asserts that no container labelled
mlops-roadmap.grading is left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap.course import GRADED_PARTS
from mlops_roadmap.grading import image
from mlops_roadmap.grading.container import LABEL, DockerBackend, read_output
from mlops_roadmap.grading.model import Limits
from mlops_roadmap.grading.sandbox import Job
from tests.conftest import REPO, Cli, as_in_a_terminal, docker_ready
from tests.timing import scaled, wait_until

FOLDER = "week02-intro-to-ml"
SOLUTIONS = REPO / "solutions"

HOSTILE = '''\
"""Misbehaves on purpose; writes what it managed to /submission/hostile.json."""
import json, os, socket, subprocess, sys, time

try:  # the checks may run train.py in several copies at once: one copy misbehaves
    os.close(os.open("/tmp/hostile.lock", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
except FileExistsError:
    sys.exit(1)
report = {}
for name, host in (("loopback", "127.0.0.1"), ("gateway", "172.17.0.1")):
    try:
        socket.create_connection((host, PORT), timeout=3).close()
        report[name] = "connected"
    except OSError as exc:
        report[name] = f"{type(exc).__name__}: {exc}"
try:
    socket.getaddrinfo("pypi.org", 443)
    report["dns"] = "resolved"
except OSError as exc:
    report["dns"] = f"{type(exc).__name__}: {exc}"

pids, errors, deadline = [], 0, time.time() + 5
while time.time() < deadline and len(pids) < 2000 and errors < 50:
    try:
        pid = os.fork()
    except OSError:
        errors += 1
        continue
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    pids.append(pid)
report["forks"], report["fork_errors"] = len(pids), errors
for pid in pids:
    os.kill(pid, 9)
    os.waitpid(pid, 0)

HOG = "blocks = []\\nwhile True:\\n    blocks.append(b'x' * (32 << 20))\\n    print(len(blocks) * 32, flush=True)"
hog = subprocess.run([sys.executable, "-c", HOG], capture_output=True, text=True)
report["hog_returncode"] = hog.returncode
report["hog_peak_mb"] = int((hog.stdout.split() or ["0"])[-1])
with open("/submission/hostile.json", "w") as handle:
    json.dump(report, handle)

try:  # the container's own output, past the checks' pipes: the checker is PID 1 there
    open("/proc/1/fd/1", "wb").close()
    report["container_output"] = "opened"
except OSError as exc:
    report["container_output"] = type(exc).__name__
started, block = time.time(), b"flood " * (1 << 17)
for _ in range(1300):  # a gigabyte into the checks' own pipe
    os.write(1, block)
report["flood_seconds"] = time.time() - started
with open("/submission/hostile.json", "w") as handle:
    json.dump(report, handle)
sys.exit(1)
'''


@pytest.fixture(scope="session")
def grader_image() -> Iterator[str]:
    """The grading image's tag, on a running engine (built when missing)."""
    docker_ready()
    yield image.ensure_image(REPO)


def week2(cli: Cli, ws: Path, solved: bool) -> Path:
    """A learner workspace with week 2 started, optionally with the reference solution."""
    assert cli("--course", REPO, "init", ws).returncode == 0
    assert cli("--course", REPO, "start", "2", "--force", cwd=ws).returncode == 0
    if solved:
        shutil.copy(SOLUTIONS / "week02" / "train.py", ws / FOLDER / "train.py")
    return ws


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def labelled(engine: Any) -> list[str]:
    return [c.short_id for c in engine.containers.list(all=True, filters={"label": LABEL})]


def training(engine: Any) -> bool:
    """A grading container runs the learner's train.py: the checks are under way."""
    import docker

    for container in engine.containers.list(filters={"label": LABEL}):
        try:
            processes = container.top()["Processes"] or []
        except docker.errors.APIError:  # it ended meanwhile
            continue
        if any("train.py" in " ".join(p) for p in processes):
            return True
    return False


@pytest.fixture
def engine(grader_image: str) -> Iterator[Any]:
    """A Docker client; after the test, no grading container may remain."""
    client = image.client()
    yield client
    assert labelled(client) == []
    client.close()


def test_context_leaves_solutions_out(tmp_path: Path) -> None:
    image.make_context(tmp_path, REPO)
    names = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert "course/checks/week02/conftest.py" in names
    assert "mlops_roadmap/grading/entry.py" in names
    assert not [n for n in names if "solutions" in n.split("/")]
    assert "course/data/ames/train.csv" in names
    assert "course/data/ames/holdout.csv" not in names  # held out: sealed to the checker per run


def test_tag_follows_the_checks(tmp_path: Path) -> None:
    course = tmp_path / "course"
    course.mkdir()
    for part in GRADED_PARTS:
        source = REPO / part
        copy = shutil.copytree if source.is_dir() else shutil.copyfile
        if source.exists():
            copy(source, course / part)
    before = image.tag(course)
    assert before == image.tag(course) and before.startswith(image.REPOSITORY + ":")
    (course / "solutions").mkdir()
    (course / "solutions" / "x.py").write_text("print('solutions never go in')\n")
    assert image.tag(course) == before
    check = course / "checks" / "week02" / "test_week02_2_training.py"
    check.write_text(check.read_text() + "\n# changed\n")
    assert image.tag(course) != before


@pytest.mark.slow
def test_image_holds_no_solution(grader_image: str, engine: Any) -> None:
    # Later weeks' templates start from earlier weeks' finished code: those files are course
    # content. Any other solution file's bytes inside the image would be a leak.
    shipped = {digest(p) for part in ("templates", "checks") for p in (REPO / part).rglob("*")}
    solution_hashes = {
        digest(p): p.relative_to(REPO).as_posix()
        for p in SOLUTIONS.rglob("*")
        if p.is_file() and p.stat().st_size > 0 and digest(p) not in shipped
    }
    assert len(solution_hashes) > 20
    probe = (
        "import hashlib, json, os\n"
        "seen = {}\n"
        "for top in ('/opt/mlops-roadmap', '/usr/local/lib/python3.11/dist-packages/mlops_roadmap'):\n"
        "    for d, _, files in os.walk(top):\n"
        "        for f in files:\n"
        "            p = os.path.join(d, f)\n"
        "            seen[p] = hashlib.sha256(open(p, 'rb').read()).hexdigest()\n"
        "print(json.dumps(seen))\n"
    )
    raw = engine.containers.run(
        grader_image, ["python3", "-c", probe], remove=True, network_mode="none"
    )
    seen: dict[str, str] = json.loads(raw)
    assert "/opt/mlops-roadmap/course/checks/week02/conftest.py" in seen
    assert not [p for p in seen if "/solutions/" in p or "/_course/" in p]
    leaked = {path: solution_hashes[h] for path, h in seen.items() if h in solution_hashes}
    assert leaked == {}
    config = engine.images.get(grader_image).attrs["Config"]
    assert config["User"] == "10001:10001"
    assert "MLOPS_ROADMAP_COURSE=/opt/mlops-roadmap/course" in config["Env"]


@pytest.mark.slow
def test_solution_passes_and_scaffold_fails(cli: Cli, tmp_path: Path, engine: Any) -> None:
    backend = DockerBackend()
    assert backend.unavailable() is None
    verdicts = {}
    for solved in (True, False):
        ws = week2(cli, tmp_path / f"ws-{solved}", solved)
        scratch = tmp_path / f"scratch-{solved}"
        scratch.mkdir()
        ran = backend.run(Job("week02", ws, scratch, Limits(wall_seconds=300)))
        assert ran.result is not None, ran.output
        assert not ran.timed_out and ran.returncode == 0, ran.output
        verdicts[solved] = ran.result
    assert verdicts[True]["passed"] is True, verdicts[True]
    assert verdicts[True]["counts"]["passed"] == len(verdicts[True]["checks"]) >= 8
    assert verdicts[False]["passed"] is False
    assert verdicts[False]["counts"]["failed"] >= 1
    assert ran.isolation == (
        "docker container: no network, 2048 MB, 1 CPU, 256 pids, read-only root, uid 10001, "
        "cap-drop ALL"
    )


class Listener:
    """A TCP server on the host's loopback that counts who reaches it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()


@pytest.mark.slow
def test_hostile_submission_is_contained(cli: Cli, tmp_path: Path, engine: Any) -> None:
    listener = Listener()
    ws = week2(cli, tmp_path / "ws", solved=False)
    (ws / FOLDER / "train.py").write_text(HOSTILE.replace("PORT", str(listener.port)))
    limits = Limits(wall_seconds=240, check_seconds=150, memory_mb=512, processes=64, output_kb=256)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    ran = DockerBackend().run(Job("week02", ws, scratch, limits))
    report = json.loads((ws / "hostile.json").read_text())
    assert listener.accepted == 0
    assert all(report[k] != "connected" for k in ("loopback", "gateway")), report
    assert report["dns"] != "resolved"
    assert 0 < report["forks"] < 64 and report["fork_errors"] > 0, report
    assert report["hog_returncode"] == -9 and report["hog_peak_mb"] < 512, report
    # The checker is not dumpable: its descriptors, the container's output among them, are
    # beyond the student's reach.
    assert report["container_output"] == "PermissionError", report
    assert "flood_seconds" in report, report  # the whole gigabyte went out ...
    assert len(ran.output) < 256 * 1024 + 100  # ... and at most the cap came back
    assert ran.result is not None and ran.result["passed"] is False
    assert not ran.timed_out
    # The same probe with the host's network reaches the listener: the block above is real.
    engine.containers.run(
        image.BASE,
        [
            "python3",
            "-c",
            f"import socket; socket.create_connection(('127.0.0.1', {listener.port}))",
        ],
        network_mode="host",
        remove=True,
    )
    assert listener.accepted == 1


@pytest.mark.slow
def test_container_output_is_read_up_to_the_cap(engine: Any) -> None:
    """What the grading container prints (its checker's own output) comes back cut at the cap,
    however much it printed."""
    flood = "import sys\nfor _ in range(64): sys.stdout.write('flood ' * 40000)\n"  # 15 MB
    container = engine.containers.run(
        image.BASE, ["python3", "-c", flood], detach=True, network_mode="none"
    )
    try:
        assert container.wait(timeout=scaled(120))["StatusCode"] == 0
        text = read_output(container, 256 * 1024)
    finally:
        container.remove(force=True)
    assert text.startswith("flood flood") and text.endswith("\n[... output cut at 256 KB]")
    assert len(text) == 256 * 1024 + len("\n[... output cut at 256 KB]")
    short = engine.containers.run(image.BASE, ["echo", "short"], detach=True)
    try:
        short.wait(timeout=scaled(60))
        assert read_output(short, 256 * 1024) == "short\n"
    finally:
        short.remove(force=True)


@pytest.mark.slow
def test_wall_clock_kills_and_removes(cli: Cli, tmp_path: Path, engine: Any) -> None:
    ws = week2(cli, tmp_path / "ws", solved=False)
    (ws / FOLDER / "train.py").write_text("import time\ntime.sleep(600)\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    ran = DockerBackend().run(Job("week02", ws, scratch, Limits(wall_seconds=8)))
    assert ran.timed_out and ran.returncode == -9
    assert ran.result is None
    assert ran.duration < 30


INTERRUPTED = """
import sys
from pathlib import Path
from mlops_roadmap.grading.container import DockerBackend
from mlops_roadmap.grading.model import Limits
from mlops_roadmap.grading.sandbox import Job

try:
    backend = DockerBackend(image_tag=sys.argv[3])
    backend.run(Job("week02", Path(sys.argv[1]), Path(sys.argv[2]), Limits()))
except KeyboardInterrupt:
    sys.exit(130)
"""


@pytest.mark.slow
def test_ctrl_c_removes_the_container(
    cli: Cli, tmp_path: Path, grader_image: str, engine: Any
) -> None:
    ws = week2(cli, tmp_path / "ws", solved=False)
    (ws / FOLDER / "train.py").write_text("import time\ntime.sleep(600)\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    grader = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED, str(ws), str(scratch), grader_image],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        preexec_fn=as_in_a_terminal,
    )
    try:
        wait_until(lambda: labelled(engine), 60, "no grading container started")
        wait_until(lambda: training(engine), 120, "the checks never ran train.py")
        grader.send_signal(signal.SIGINT)  # well inside the run
        assert grader.wait(timeout=scaled(60)) == 130
    finally:
        grader.kill()
    assert labelled(engine) == []
