"""Where a submission's checks run: an isolation backend behind one small interface.

The grader makes a fresh copy of each submission and hands it to a backend as a ``Job``; the
backend runs ``python -I -m mlops_roadmap.grading.entry`` (isolated, from outside the
submission) inside whatever isolation it offers and returns what that wrote as ``Ran`` (the
Kubernetes backend hands the job on to a cluster's Job and answers ``pending``). Backends never
raise for a submission's misbehaviour (a timeout, a crash, a flood of output): that is data in
``Ran``. ``backends`` makes them by name.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mlops_roadmap.grading.backend_names import BackendName as BackendName
from mlops_roadmap.grading.model import Limits


@dataclass(frozen=True)
class Job:
    """One submission's checks for one week."""

    week: str  # week id, e.g. "week02"
    submission: Path  # a fresh copy of the student's repository tree; the job may change it
    scratch: Path  # an empty folder for this job alone: its temporary space
    limits: Limits
    slot: int = 0  # which of the `--jobs` lanes runs it (0-based)
    student: str = ""  # who and which commit (for backends that hand the job elsewhere)
    commit: str = ""


@dataclass(frozen=True)
class Ran:
    """What the sandbox saw."""

    result: dict[str, Any] | None  # the entry's JSON: a report, or {"error": ...}; None if none
    returncode: int
    timed_out: bool
    output: str  # the submission's captured output, capped
    duration: float
    isolation: str  # how it was isolated, in words for the report
    pending: bool = False  # handed to a batch system (Kubernetes); the verdict comes later


class Backend(Protocol):
    """A place to run submissions' checks; ``grade`` uses nothing else of it."""

    name: BackendName

    def unavailable(self) -> str | None:
        """Why this backend cannot run here (None when it can)."""

    def run(self, job: Job) -> Ran:
        """Run the job's checks in isolation and report what happened."""

    def stop_all(self) -> None:
        """Stop everything this backend is running now, from any lane (on Ctrl-C)."""


RESULT_MAX_BYTES = 16 * 1024 * 1024


def read_verdict(path: Path) -> dict[str, Any] | None:
    """The entry's JSON verdict at ``path``: a plain file, never a link (which could point at
    the grader's files), not over 16 MB; None when there is no such verdict."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1 or info.st_size > RESULT_MAX_BYTES:
            return None
        try:
            data = json.loads(f.read(RESULT_MAX_BYTES))
        except (ValueError, RecursionError):  # RecursionError: arrays nested beyond the parser
            return None
    return data if isinstance(data, dict) else None
