"""A learner's script run once "from a clean start": in a fresh copy of the week folder without
the outputs it must make, in the learner's interpreter, with a time limit."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mlops_roadmap.checking import blocked, expect
from mlops_roadmap.fixtures import CleanCopy, Run


@dataclass(frozen=True)
class CleanRun:
    """What one clean-start run of ``script`` did."""

    script: str
    folder: Path  # the fresh copy it ran in
    returncode: int
    timed_out: bool
    output_tail: str
    timeout: float
    inputs_before: dict[str, str] = field(default_factory=dict)  # sha256 by path, when watched
    inputs_after: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def problem(self) -> str:
        """What went wrong, for a check's message."""
        if self.timed_out:
            return f"still running after {self.timeout:g} s, so it was stopped"
        return f"exit status {self.returncode}:\n{self.output_tail}"


def tree_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path."""
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run_clean(
    run: Run,
    clean_copy: CleanCopy,
    python: Path,
    script: str,
    *,
    outputs: Sequence[str],
    timeout: float,
    env: Mapping[str, str] | None = None,
    inputs: str | None = None,
) -> CleanRun:
    """Run ``python script`` in a copy without ``outputs``; ``inputs`` (a folder of the copy)
    is hashed before and after, so a check can see whether the run changed it."""
    folder = clean_copy(*outputs)
    before = tree_hashes(folder / inputs) if inputs else {}
    if not (folder / script).is_file():
        missing = f"{script} is missing from the week folder"
        return CleanRun(script, folder, 2, False, missing, timeout, before, before)
    full_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    result = run([python, script], cwd=folder, timeout=timeout, env=full_env)
    after = tree_hashes(folder / inputs) if inputs else {}
    tail = result.tail(8)
    return CleanRun(
        script, folder, result.returncode, result.timed_out, tail, timeout, before, after
    )


def finished(clean: CleanRun, what: str) -> CleanRun:
    """The run, or the check is blocked because it did not finish (``what`` it would inspect)."""
    if not clean.ok:
        blocked(
            f"{clean.script} did not finish from a clean start, so its {what} cannot be inspected",
            hint=f"Make the check '{clean.script} runs from a clean start' pass first.",
        )
    return clean


def expect_ran(clean: CleanRun, expected: str, hint: str) -> None:
    """The check "SCRIPT runs from a clean start": fail with how it ended unless it exited 0."""
    expect(clean.ok, expected=expected, found=clean.problem, hint=hint)
