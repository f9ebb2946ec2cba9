"""Held-out answers: the files under the course's ``data/`` that checks judge with and the
learner's code never reads (``grading.held_out`` in roadmap.yaml).

In a learner's own ``check`` they are read from the course. In a graded sandbox they are not on
disk at all: the grader hands them to the checker's process alone (``grading.seal``), which
gives them here before any check runs, so a submission cannot read the labels it is scored on.
Checks reach them through the ``held_out`` fixture and give the learner's code the features
only (``HeldOut.features``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from mlops_roadmap.errors import RoadmapError

_given: dict[str, bytes] | None = None  # set in a graded sandbox: nothing is read from disk


def provide(files: Mapping[str, bytes]) -> None:
    """Hold ``files`` (name under data/ -> bytes) in memory as the only held-out answers."""
    global _given
    _given = dict(files)


def forget() -> None:
    global _given
    _given = None


def given() -> bool:
    """Whether the answers came from the grader (a sandbox) rather than the course's files."""
    return _given is not None


class HeldOut:
    """The course's held-out answer files, for the checks of one run."""

    def __init__(self, course_root: Path, declared: Sequence[str], scratch: Path) -> None:
        self.course_root = course_root
        self.declared = tuple(declared)
        self.scratch = scratch

    def read(self, name: str) -> bytes:
        """The bytes of held-out file ``name`` (a path under data/, declared in roadmap.yaml)."""
        if name not in self.declared:
            raise RoadmapError(
                f"data/{name}: not a held-out file of this course: list it under "
                "grading -> held_out in roadmap.yaml"
            )
        if _given is not None:
            if name not in _given:
                raise RoadmapError(f"data/{name}: the grader did not hand this answer file over")
            return _given[name]
        try:
            return (self.course_root / "data" / name).read_bytes()
        except OSError as exc:
            raise RoadmapError(f"data/{name}: cannot read the held-out file: {exc}") from exc

    def rows(self, name: str) -> list[dict[str, str]]:
        """A held-out CSV's rows, as text by column name."""
        return list(csv.DictReader(io.StringIO(self.read(name).decode("utf-8"))))

    def column(self, name: str, column: str) -> list[float]:
        """One numeric column of a held-out CSV (the labels a check scores against)."""
        rows = self.rows(name)
        if rows and column not in rows[0]:
            raise RoadmapError(f"data/{name}: no column {column!r}")
        return [float(row[column]) for row in rows]

    def features(self, name: str, drop: Sequence[str]) -> Path:
        """A copy of a held-out CSV without the ``drop`` columns (the labels), for the learner's
        code to predict from; written to this run's scratch folder, never beside the answers."""
        reader = csv.reader(io.StringIO(self.read(name).decode("utf-8")))
        header = next(reader, [])
        missing = [c for c in drop if c not in header]
        if missing:
            raise RoadmapError(f"data/{name}: no column {missing[0]!r} to leave out")
        kept = [i for i, c in enumerate(header) if c not in drop]
        self.scratch.mkdir(parents=True, exist_ok=True)
        out = self.scratch / f"{Path(name).stem}-features.csv"
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([header[i] for i in kept])
            writer.writerows([row[i] for i in kept] for row in reader)
        return out
