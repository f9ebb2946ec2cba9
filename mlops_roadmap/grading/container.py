"""The Docker grading backend: each submission's checks in a locked-down, throwaway container.

No network, a memory, CPU, process and file-size ceiling, a read-only root with small tmpfs
scratch, every capability dropped, a non-root user, and an environment that carries nothing
from the grader's. The checker starts isolated from the submission (``entry.command``). The
grader enforces the wall clock itself (wait, then kill) and removes the container whatever
happens, Ctrl-C included.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any

from mlops_roadmap import course
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import entry, image, seal
from mlops_roadmap.grading.model import Limits
from mlops_roadmap.grading.sandbox import BackendName, Job, Ran, read_verdict

LABEL = "mlops-roadmap.grading"
SUBMISSION = "/submission"
RESULTS = "/results"
RESULT_FILE = "result.json"
SEAL_FILE = "seal.json"  # the grader's seal: read and deleted by the checker before anything runs
# The whole environment the checks see: nothing of the grader's (tokens, proxies, paths).
ENVIRONMENT = {
    "LANG": "C.UTF-8",
    "HOME": "/home/grader",
    "TMPDIR": "/tmp",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "MLOPS_ROADMAP_COURSE": image.COURSE_IN_IMAGE,
}


class DockerBackend:
    """Grades in containers from the grading image (built on first use)."""

    name: BackendName = "docker"

    def __init__(self, image_tag: str | None = None, course_root: Path | None = None) -> None:
        self.image_tag = image_tag
        self.course_root = course_root
        self._engine: Any = None
        self._lock = threading.Lock()  # `--jobs` lanes share one backend: build the image once
        self._running: set[Any] = set()

    def unavailable(self) -> str | None:
        """Why containers cannot be used here: no engine answering, or no base image."""
        import docker.errors

        try:
            self._engine = image.client()
        except RoadmapError as exc:
            return str(exc)
        try:
            self._engine.images.get(self.image_tag or image.BASE)
        except docker.errors.ImageNotFound:
            missing = self.image_tag or image.BASE
            return f"{missing}: image missing; build the base with scripts/base-image.sh"
        return None

    def stop_all(self) -> None:
        """Kill every container this backend is running (on Ctrl-C); each lane removes its own."""
        for container in list(self._running):
            with contextlib.suppress(Exception):
                container.kill()

    def run(self, job: Job) -> Ran:
        """Run the job in a fresh container; a misbehaving submission is data, not an error."""
        with self._lock:
            self._engine = engine = self._engine or image.client()
            self.image_tag = tag = self.image_tag or image.ensure_image(self.course_root)
        results = job.scratch / "results"
        results.mkdir(parents=True, exist_ok=True)
        sealed = seal.for_course(self.course_root or course.locate())
        seal.write_private(results / SEAL_FILE, sealed.to_text())
        user = _hand_over(job.submission, results)
        result = f"{RESULTS}/{RESULT_FILE}"
        command = entry.command(
            "python3",
            job.week,
            SUBMISSION,
            result,
            job.limits.check_seconds,
            seal=f"{RESULTS}/{SEAL_FILE}",
        )
        started = time.monotonic()
        container = engine.containers.create(
            tag,
            command,
            **settings(job, results, user),
            name=f"mlops-roadmap-grading-{job.slot}-{os.getpid()}-{int(started * 1000) % 10**9}",
        )
        self._running.add(container)
        try:
            container.start()
            code, timed_out = _wait(container, job.limits.wall_seconds)
            output = read_output(container, job.limits.output_kb * 1024)
        finally:
            self._running.discard(container)
            with contextlib.suppress(Exception):
                container.remove(force=True, v=True)
        (results / SEAL_FILE).unlink(missing_ok=True)  # a checker that never started
        return Ran(
            result=sealed.open(read_result(results / RESULT_FILE)),
            returncode=code,
            timed_out=timed_out,
            output=output,
            duration=time.monotonic() - started,
            isolation=describe(job.limits, user),
        )


def settings(job: Job, results: Path, user: str) -> dict[str, Any]:
    """The container's every restriction, as Docker SDK keyword arguments."""
    from docker.types import LogConfig, Mount, Ulimit

    limits = job.limits
    uid, gid = user.split(":")
    home = f"rw,nosuid,nodev,size=64m,mode=0700,uid={uid},gid={gid}"
    cap = max(64, limits.output_kb)  # what the engine keeps on disk of a flood of output
    return {
        "mounts": [
            Mount(SUBMISSION, str(job.submission.resolve()), type="bind"),
            Mount(RESULTS, str(results.resolve()), type="bind"),
        ],
        "working_dir": ENVIRONMENT["HOME"],  # the entry starts outside the submission
        "user": user,
        "environment": dict(ENVIRONMENT),
        "network_mode": "none",
        "mem_limit": f"{limits.memory_mb}m",
        "memswap_limit": f"{limits.memory_mb}m",  # no swap beyond the memory limit
        "nano_cpus": int(limits.cpus * 1e9),
        "pids_limit": limits.processes,
        "read_only": True,
        "tmpfs": {
            "/tmp": f"rw,nosuid,nodev,size={limits.scratch_mb}m,mode=1777",
            "/home/grader": home,
        },
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "ulimits": [
            Ulimit(name="nofile", soft=1024, hard=1024),
            Ulimit(name="fsize", soft=limits.file_mb << 20, hard=limits.file_mb << 20),
            Ulimit(name="core", soft=0, hard=0),
        ],
        "labels": {LABEL: "1", f"{LABEL}.week": job.week},
        "log_config": LogConfig(type="json-file", config={"max-size": f"{cap}k", "max-file": "2"}),
    }


def _hand_over(submission: Path, results: Path) -> str:
    """Give the submission copy and the results folder to the container's user; return it.

    As root the files become uid 10001's (the image's user); otherwise the container runs as
    the caller's own non-root uid, which already owns them.
    """
    if os.geteuid() != 0:
        return f"{os.getuid()}:{os.getgid()}"
    uid = image.USER_ID
    for top in (submission, results):
        os.chown(top, uid, uid)
        for path in top.rglob("*"):
            os.chown(path, uid, uid, follow_symlinks=False)
    return f"{uid}:{uid}"


def _wait(container: Any, seconds: float) -> tuple[int, bool]:
    """Wait for the container to exit; kill it at the wall-clock limit. (exit code, timed out)"""
    import requests

    try:
        status = container.wait(timeout=seconds)
        return int(status.get("StatusCode", -1)), False
    except (requests.exceptions.ConnectionError, requests.exceptions.ReadTimeout):
        with contextlib.suppress(Exception):
            container.kill()
        return -9, True


def read_output(container: Any, cap: int) -> str:
    """At most ``cap`` bytes of the container's output, read from the log stream then dropped."""
    kept: list[bytes] = []
    size, cut = 0, False
    stream = container.logs(stdout=True, stderr=True, stream=True, follow=False)
    try:
        for chunk in stream:
            kept.append(chunk[: cap - size])
            size += min(len(chunk), cap - size)
            if size >= cap:
                cut = True
                break
    finally:
        with contextlib.suppress(Exception):
            stream.close()
    text = b"".join(kept).decode("utf-8", errors="replace")
    return text + (f"\n[... output cut at {cap // 1024} KB]" if cut else "")


def read_result(path: Path) -> dict[str, Any] | None:
    """The entry's JSON verdict; a link or anything but a plain file is no verdict."""
    return read_verdict(path)


def describe(limits: Limits, user: str) -> str:
    """The isolation in words, for the gradebook."""
    cpus = f"{limits.cpus:g} CPU" + ("" if limits.cpus == 1 else "s")
    return (
        f"docker container: no network, {limits.memory_mb} MB, {cpus}, "
        f"{limits.processes} pids, read-only root, uid {user.split(':')[0]}, cap-drop ALL"
    )
