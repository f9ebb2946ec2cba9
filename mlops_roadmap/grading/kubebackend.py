"""``grade --backend kubernetes``: the grader's two halves around a Kubernetes Indexed Job.

``Stager`` takes each fresh submission copy instead of running it (the grade is ``queued``);
``finish`` packs them all with the manifests. ``PodVerdicts`` later hands each submission the
verdict its pod wrote, matched by student, week and commit, so a collected grade goes through
the same path (and the same gradebook) as one graded on this machine.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

from mlops_roadmap.grading import kubebundle
from mlops_roadmap.grading.kube import Submission
from mlops_roadmap.grading.model import Limits
from mlops_roadmap.grading.sandbox import BackendName, Job, Ran

QUEUED = "packed for the Kubernetes Job; collect its verdict with --collect"
MISSING = "no verdict for this commit among the collected results (pod failed or not run)"


class Stager:
    """Keeps each submission for the Job's bundle."""

    name: BackendName = "kubernetes"

    def __init__(self, staging: Path, course_root: Path | None = None) -> None:
        self.staging = staging
        self.course_root = course_root
        self.items: list[Submission] = []
        self.lock = threading.Lock()

    def unavailable(self) -> str | None:
        return None

    def run(self, job: Job) -> Ran:
        with self.lock:
            index = len(self.items)
            dest = self.staging / str(index)
            self.items.append(Submission(index, job.student, job.week, dest, job.commit))
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(job.submission), dest)
        return Ran(None, 0, False, QUEUED, 0.0, "kubernetes pod (queued)", pending=True)

    def stop_all(self) -> None:
        """Nothing runs here: submissions are only moved into the staging folder."""

    def finish(self, out: Path, class_name: str, image: str, limits: Limits, jobs: int) -> Path:
        """Write the bundle under ``out``; the staged copies are packed, then removed."""
        try:
            return kubebundle.write_bundle(
                out,
                class_name,
                self.items,
                image,
                limits,
                parallelism=jobs,
                course_root=self.course_root,
            )
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)


class PodVerdicts:
    """Answers each submission with the verdict its pod left in the results folder."""

    name: BackendName = "kubernetes"

    def __init__(self, results: Path) -> None:
        found = kubebundle.collect(results)
        self.verdicts: dict[tuple[Any, Any, Any], dict[str, Any]] = {
            (d.get("student"), d.get("week"), d.get("commit")): d for d in found.values()
        }

    def unavailable(self) -> str | None:
        return None

    def run(self, job: Job) -> Ran:
        document = self.verdicts.get((job.student, job.week, job.commit))
        if document is None:
            return Ran(None, 0, False, MISSING, 0.0, "kubernetes pod", pending=True)
        return kubebundle.ran(document)

    def stop_all(self) -> None:
        """Nothing runs here: the pods ran on the cluster, and their verdicts are only read."""
