"""The grading image: the engine and the course's checks, never its solutions, on the base image.

Tagged ``mlops-roadmap/grader:<version>-<hash>``, the hash covering every file that goes in (the
engine and the course's graded parts: roadmap.yaml, lessons, templates, checks, data) and the
Dockerfile, so a changed check means a new image and an unchanged course reuses the one built.
Built with the classic builder through the Docker SDK from a context made in a temporary folder.
"""

from __future__ import annotations

import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from mlops_roadmap import __version__, course
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import fingerprint

REPOSITORY = "mlops-roadmap/grader"
BASE = "mlops-roadmap/python:3.11-bookworm"
USER_ID = 10001
COURSE_IN_IMAGE = "/opt/mlops-roadmap/course"
# What the engine imports that Debian's base does not carry; `packaging` is for the learner
# environment probe in venvs.py.
EXTRA_REQUIREMENTS = ("packaging>=23",)
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
LABEL = "mlops-roadmap.grader"

DOCKERFILE = f"""\
FROM {BASE}
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_NO_CACHE_DIR=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
COPY requirements.txt /tmp/requirements.txt
# --break-system-packages: into /usr/local, next to Debian's scikit-learn, pandas and joblib.
RUN python3 -m pip install --quiet --break-system-packages -r /tmp/requirements.txt \\
 && rm /tmp/requirements.txt
COPY mlops_roadmap /usr/local/lib/python3.11/dist-packages/mlops_roadmap
COPY course {COURSE_IN_IMAGE}
RUN python3 -m compileall -q /usr/local/lib/python3.11/dist-packages/mlops_roadmap \\
 && groupadd --gid {USER_ID} grader \\
 && useradd --uid {USER_ID} --gid {USER_ID} --home-dir /home/grader --create-home \\
      --shell /usr/sbin/nologin grader
ENV MLOPS_ROADMAP_COURSE={COURSE_IN_IMAGE} HOME=/home/grader PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1
USER {USER_ID}:{USER_ID}
WORKDIR /home/grader
LABEL {LABEL}=1
CMD ["python3", "-I", "-m", "mlops_roadmap.grading.entry", "--help"]
"""


def sources(course_root: Path) -> list[tuple[str, Path]]:
    """What the build context holds besides the Dockerfile: the engine and the course parts,
    without the held-out answers (the checker gets them sealed, per run)."""
    files = fingerprint.engine_files()
    for part in course.GRADED_PARTS:  # solutions/ never goes in
        files += fingerprint.files(course_root / part, f"course/{part}")
    held = {f"course/{course.DATA}/{name}" for name in course.load(course_root).plan.held_out}
    return [(name, path) for name, path in files if name not in held]


def requirements() -> str:
    """The engine's own dependencies (not its extras), as installed metadata lists them."""
    try:
        required = metadata.requires("mlops-roadmap") or []
    except metadata.PackageNotFoundError as exc:
        raise RoadmapError(
            "mlops-roadmap is not installed (no package metadata): `pip install -e .` first"
        ) from exc
    plain = [r for r in required if ";" not in r]
    return "\n".join([*plain, *EXTRA_REQUIREMENTS]) + "\n"


def tag(course_root: Path | None = None) -> str:
    """The image tag for this engine and course: changes whenever any file that goes in does."""
    root = course_root or course.locate(None)
    digest = fingerprint.digest(sources(root), (DOCKERFILE + requirements()).encode())
    return f"{REPOSITORY}:{__version__}-{digest[:12]}"


def client() -> Any:
    """A Docker SDK client that answers, or a RoadmapError saying how to start an engine."""
    import docker

    try:
        engine = docker.from_env(timeout=120)
        engine.ping()
    except Exception as exc:
        raise RoadmapError(
            f"no Docker engine answers ({exc}): start one (scripts/docker-engine.sh) "
            "or grade with another --backend"
        ) from exc
    return engine


def make_context(folder: Path, course_root: Path) -> None:
    """Write the build context into ``folder``."""
    for name, path in sources(course_root):
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (folder / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    (folder / "requirements.txt").write_text(requirements(), encoding="utf-8")
    bundle = CA_BUNDLE.read_bytes() if CA_BUNDLE.is_file() else b""
    (folder / "ca-certificates.crt").write_bytes(bundle)


def build(course_root: Path | None = None, engine: Any = None, fresh: bool = False) -> str:
    """Build the grading image (even when it exists) and return its tag.

    ``fresh`` skips the layer cache, so the dependencies are fetched from PyPI again.
    """
    import docker.errors

    root = course_root or course.locate(None)
    engine = engine or client()
    name = tag(root)
    try:
        engine.images.get(BASE)
    except docker.errors.ImageNotFound as exc:
        raise RoadmapError(
            f"{BASE}: base image missing: build it with scripts/base-image.sh"
        ) from exc
    with tempfile.TemporaryDirectory(prefix="mlops-roadmap-grader-") as tmp:
        make_context(Path(tmp), root)
        try:
            engine.images.build(
                path=tmp, tag=name, rm=True, forcerm=True, pull=False, nocache=fresh
            )
        except docker.errors.BuildError as exc:
            tail = "".join(str(c.get("stream", c.get("error", ""))) for c in exc.build_log)
            raise RoadmapError(
                f"building {name} failed: {exc}; the build log ends: {tail[-1500:]}"
            ) from exc
    return name


def ensure_image(course_root: Path | None = None) -> str:
    """The grading image's tag, built first only when no image of that tag exists yet."""
    import docker.errors

    engine = client()
    name = tag(course_root)
    try:
        engine.images.get(name)
    except docker.errors.ImageNotFound:
        return build(course_root, engine)
    return name
