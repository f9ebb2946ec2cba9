"""The fault suite's harness: the real CLI in a subprocess, judged the same way every time.

``Faulty.run`` runs `mlops-roadmap ARGS` (optionally under a wrapper: a read-only mount, a full
disk, no permission to bypass file modes) and checks what every fault must give: no traceback and
no pytest INTERNALERROR in either stream, and nothing the run started still running afterwards
(found by the process table: every process the CLI started carries a token in its environment).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, clean_env
from tests.timing import scaled, wait_until

TOKEN = "FAULTS_TEST_TOKEN"


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    @property
    def message(self) -> str:
        """stderr as one line, however the terminal wrapped it."""
        return " ".join(self.err.split())


def tagged(token: str) -> list[int]:
    """Processes whose environment carries ``token``."""
    needle = f"{TOKEN}={token}".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if needle in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


class Faulty:
    """Runs the CLI on one course and workspace; ``runs`` counts the calls (each has a token)."""

    def __init__(self, course: Path, home: Path) -> None:
        self.course, self.home, self.runs = course, home, 0

    def run(
        self,
        *args: str | Path,
        cwd: Path,
        wrapper: Sequence[str] = (),
        env: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> Outcome:
        self.runs += 1
        token = f"{os.getpid()}-{id(self)}-{self.runs}"
        command = [sys.executable, "-m", "mlops_roadmap", "--course", str(self.course)]
        done = subprocess.run(
            [*wrapper, *command, *map(str, args)],
            cwd=cwd,
            env={**clean_env(self.home), TOKEN: token, **(env or {})},
            capture_output=True,
            text=True,
            timeout=scaled(timeout),
            check=False,
        )
        both = done.stdout + done.stderr
        assert "Traceback" not in both, both
        assert "INTERNALERROR" not in both, both
        wait_until(lambda: not tagged(token), 10, f"left running after {args}: {tagged(token)}")
        return Outcome(done.returncode, done.stdout, done.stderr)


def digest(path: Path) -> str:
    """The bytes of ``path`` (a folder: of every file in it), as one sha256."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    sha = hashlib.sha256()
    for file in files:
        sha.update(str(file.relative_to(path.parent)).encode() + b"\0" + file.read_bytes())
    return sha.hexdigest()


def read_only(folder: Path) -> list[str]:
    """A wrapper that runs the command with ``folder`` mounted read-only (root, Linux)."""
    needs_root("a read-only mount")
    script = f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}"'
    return ["unshare", "-m", "sh", "-c", script + ' && exec "$@"', "sh"]


def no_override() -> list[str]:
    """A wrapper that takes away root's power to ignore file modes (as a learner has none)."""
    needs_root("dropping CAP_DAC_OVERRIDE")
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv is not installed")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def full_disk(folder: Path, report: Path) -> list[str]:
    """A wrapper that runs the command with ``folder``'s files on a small tmpfs that is full;
    the sha256 of each file there when the command ended is written to ``report``."""
    needs_root("a tmpfs mount")
    saved = folder.with_name(folder.name + ".saved")
    shutil.copytree(folder, saved)
    script = (
        f'mount -t tmpfs -o size=256k tmpfs "{folder}" && cp -a "{saved}/." "{folder}" && '
        f'(dd if=/dev/zero of="{folder}/filler" bs=1k 2>/dev/null || true) && '
        f'"$@"; code=$?; cd "{folder}" && sha256sum state.db > "{report}"; exit $code'
    )
    return ["unshare", "-m", "sh", "-c", script, "sh"]


def needs_root(what: str) -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip(f"{what} needs root and unshare")


def started_copy(tmp_path: Path, template: Path) -> tuple[Path, Path]:
    """A private copy of ``template`` (see ``make_started``): its course and its workspace."""
    shutil.copytree(template, tmp_path / "copy", symlinks=True)
    return tmp_path / "copy" / "course", tmp_path / "copy" / "ws"


def make_started(base: Path) -> Path:
    """The toy course and a workspace with week 1 started and one failing attempt recorded,
    made once under ``base`` for tests to copy."""
    course, ws = base / "course", base / "ws"
    shutil.copytree(FIXTURES / "toy-course", course)
    (base / "home").mkdir()
    for args in (["init", str(ws)], ["start", "1"], ["check", "1"]):
        subprocess.run(
            [sys.executable, "-m", "mlops_roadmap", "--course", str(course), *args],
            cwd=ws if args[0] != "init" else base,
            env=clean_env(base / "home"),
            capture_output=True,
            timeout=scaled(120),
            check=args[0] != "check",
        )
    return base
