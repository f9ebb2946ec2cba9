"""The Kubernetes bundle on disk: submissions packed per index, the manifests, and the verdicts
copied back (see ``kube`` for the manifests and docs/grading-on-kubernetes.md for the steps)."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading.kube import FORMAT, Submission, manifests, run_id
from mlops_roadmap.grading.model import Limits
from mlops_roadmap.grading.sandbox import Ran


def index_document(
    class_name: str, submissions: Sequence[Submission], limits: Limits
) -> dict[str, Any]:
    """The whole batch: who each index is, and the limits (each pod sees its own entry only)."""
    return {
        "format": FORMAT,
        "run": run_id(class_name, submissions),
        "class": class_name,
        "limits": asdict(limits),
        "submissions": {
            str(s.index): {"student": s.student, "week": s.week, "commit": s.commit}
            for s in submissions
        },
    }


def _dump(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def pack(folder: Path, tar_path: Path) -> None:
    """The submission copy as a plain tar (its .venv left out: the pod makes its own)."""
    with tarfile.open(tar_path, "w") as tar:
        for child in sorted(folder.iterdir()):
            if child.name != ".venv":
                tar.add(child, arcname=child.name)


def write_bundle(
    out_dir: Path,
    class_name: str,
    submissions: Sequence[Submission],
    img: str,
    limits: Limits,
    *,
    parallelism: int = 4,
    storage_class: str | None = None,
) -> Path:
    """Write setup.yaml, job.yaml, submissions/<run>/ and results/<run>/ into ``out_dir``;
    return submissions/<run>/."""
    import yaml

    docs = manifests(
        class_name, submissions, img, limits, parallelism=parallelism, storage_class=storage_class
    )
    run = run_id(class_name, submissions)
    document = index_document(class_name, submissions, limits)
    for s in submissions:
        if s.folder is None or not s.folder.is_dir():
            raise RoadmapError(f"{s.student} {s.week}: no submission folder to pack ({s.folder})")
        folder = out_dir / "submissions" / run / str(s.index)
        folder.mkdir(parents=True, exist_ok=True)
        pack(s.folder, folder / f"{s.index}.tar")
        own = {k: v for k, v in document.items() if k != "submissions"}
        _dump(
            folder / "index.json",
            {**own, "index": s.index, **document["submissions"][str(s.index)]},
        )
        (out_dir / "results" / run / str(s.index)).mkdir(parents=True, exist_ok=True)
    _dump(out_dir / "submissions" / run / "index.json", document)
    for name, kinds in (
        ("setup.yaml", {"NetworkPolicy", "PersistentVolumeClaim", "Pod"}),
        ("job.yaml", {"Job"}),
    ):
        chosen = [d for d in docs if d["kind"] in kinds]
        (out_dir / name).write_text(yaml.safe_dump_all(chosen, sort_keys=False), encoding="utf-8")
    return out_dir / "submissions" / run


def collect(results_dir: Path) -> dict[int, dict[str, Any]]:
    """The verdicts copied back from the results volume: every ``<index>.json`` below, by index."""
    if not results_dir.is_dir():
        raise RoadmapError(
            f"{results_dir}: no such folder: copy the results back first "
            "(docs/grading-on-kubernetes.md)"
        )
    found: dict[int, dict[str, Any]] = {}
    for path in sorted(results_dir.rglob("*.json")):
        if path.stem.isdigit():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as exc:
                raise RoadmapError(f"{path}: not a grading result ({exc})") from exc
            if isinstance(data, dict):
                found[int(path.stem)] = data
    return found


def ran(document: dict[str, Any]) -> Ran:
    """One collected verdict as the other backends report theirs."""
    result = document.get("result")
    return Ran(
        result=result if isinstance(result, dict) else None,
        returncode=int(document.get("returncode", -1)),
        timed_out=bool(document.get("timed_out", False)),
        output=str(document.get("output", "")),
        duration=float(document.get("duration", 0.0)),
        isolation=str(document.get("isolation", "kubernetes pod")),
    )
