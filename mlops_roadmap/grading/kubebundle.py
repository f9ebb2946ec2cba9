"""The Kubernetes bundle on disk: submissions packed per index, the manifests, and the verdicts
copied back (see ``kube`` for the manifests and docs/grading-on-kubernetes.md for the steps)."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import seal
from mlops_roadmap.grading.kube import FORMAT, SEAL_FILE, SEALS, Submission, manifests, run_id
from mlops_roadmap.grading.model import Limits
from mlops_roadmap.grading.sandbox import Ran

WHO = ("student", "week", "commit")  # what names a submission in the bundle and its verdict


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
    course_root: Path | None = None,
) -> Path:
    """Write setup.yaml, job.yaml, submissions/<run>/, each index's seal in
    submissions/<run>/seals/<index>/ and results/<run>/ into ``out_dir``; return
    submissions/<run>/."""
    import yaml

    from mlops_roadmap import course

    docs = manifests(
        class_name, submissions, img, limits, parallelism=parallelism, storage_class=storage_class
    )
    run = run_id(class_name, submissions)
    document = index_document(class_name, submissions, limits)
    root = course_root or course.locate()
    for s in submissions:
        if s.folder is None or not s.folder.is_dir():
            raise RoadmapError(f"{s.student} {s.week}: no submission folder to pack ({s.folder})")
        folder = out_dir / "submissions" / run / str(s.index)
        folder.mkdir(parents=True, exist_ok=True)
        pack(s.folder, folder / f"{s.index}.tar")
        seals = out_dir / "submissions" / SEALS.format(run=run) / str(s.index)
        seals.mkdir(parents=True, exist_ok=True)
        seal.write_private(seals / SEAL_FILE, seal.for_course(root).to_text())
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
    """The verdicts copied back from the results volume: every ``<index>.json`` below, by index.

    One bad file never stops the rest: a file that is not a JSON object, or that names another
    student, week or commit than the bundle gave its index, becomes an error document for the
    index's own student (found in ``submissions/<run>/index.json`` beside ``results/<run>``,
    where the bundle put it; without that index, an unreadable file names nobody).
    """
    if not results_dir.is_dir():
        raise RoadmapError(
            f"{results_dir}: no such folder: copy the results back first "
            "(docs/grading-on-kubernetes.md)"
        )
    found: dict[int, dict[str, Any]] = {}
    indexes: dict[Path, dict[str, Any]] = {}  # each run's bundle index, read once
    for path in sorted(results_dir.rglob("*.json")):
        if path.stem.isdigit():
            index = int(path.stem)
            who = _bundle_index(path, results_dir, indexes).get(str(index))
            document = _document(path, index, who if isinstance(who, dict) else None)
            found[index] = _unsealed(document, _seal_of(path, index, results_dir))
    return found


def _seal_of(path: Path, index: int, results_dir: Path) -> seal.Seal | None:
    """The seal the bundle gave ``index`` of the run ``path`` belongs to (None: none found)."""
    found = _in_bundle(
        path, results_dir, lambda run: f"{SEALS.format(run=run)}/{index}/{SEAL_FILE}"
    )
    if found is None:
        return None
    try:
        return seal.Seal.from_text(found[1].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _in_bundle(
    path: Path, results_dir: Path, name: Callable[[str], str]
) -> tuple[str, Path] | None:
    """The run ``path`` (under ``results/<run>/``) belongs to and the file ``name(run)`` of
    that run's ``submissions/`` beside ``results/``, where the bundle put it (None: none)."""
    for run in (path.parent, *path.parent.parents):
        candidate = run.parent.parent / "submissions" / name(run.name)
        if candidate.is_file():
            return run.name, candidate
        if run == results_dir:
            break
    return None


def _unsealed(document: dict[str, Any], sealed: seal.Seal | None) -> dict[str, Any]:
    """The document with its verdict taken out of the checker's seal; a verdict that is not
    sealed with the index's key, or an index with no seal in the bundle, is an error."""
    result = document.get("result")
    if not isinstance(result, dict) or "error" in result:
        return document  # no verdict (the pod's own error, or one found above)
    if sealed is None:
        why = "no seal for this index in the bundle (submissions/<run>/seals/): write it again"
        return {**document, "result": {"error": why}}
    return {**document, "result": sealed.open(result)}


def _document(path: Path, index: int, who: dict[str, Any] | None) -> dict[str, Any]:
    """The verdict document at ``path``, or an error document for ``who`` saying what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        problem = "" if isinstance(data, dict) else f"a JSON {type(data).__name__}, not an object"
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        data, problem = {}, f"not JSON ({type(exc).__name__}: {str(exc)[:200]})"
    if not problem and who is not None:
        claimed, given = (tuple(d.get(k) for k in WHO) for d in (data, who))
        if claimed == (None, None, None):  # the pod could not tell who it graded: its index says
            return _attributed(data, who)
        if claimed != given:
            problem = f"it names {claimed!r}, but index {index} is {given!r}"
    if not problem:
        return dict(data)
    error = f"{path.name}: not this submission's grading result: {problem}"
    return {
        **{k: (who or {}).get(k) for k in WHO},
        "index": index,
        "returncode": 0,  # nothing is known of how the pod ended; the error says what is
        "timed_out": False,
        "output": "",
        "duration": 0.0,
        "isolation": "kubernetes pod",
        "result": {"error": error},
    }


def _attributed(data: dict[str, Any], who: dict[str, Any]) -> dict[str, Any]:
    """A pod's own error document (it could not read its index) for the index's student."""
    result = data.get("result")
    if not isinstance(result, dict):
        result = {"error": str(data.get("error") or "the pod wrote no verdict")}
    return {**data, **{k: who.get(k) for k in WHO}, "result": result}


def _bundle_index(
    path: Path, results_dir: Path, indexes: dict[Path, dict[str, Any]]
) -> dict[str, Any]:
    """Index -> student, week and commit, from the bundle of the run ``path`` belongs to."""
    found = _in_bundle(path, results_dir, lambda run: f"{run}/index.json")
    if found is None:
        return {}
    run, index = found
    if index not in indexes:
        indexes[index] = _read_index(index, run)
    return indexes[index]


def _read_index(path: Path, run: str) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    ok = isinstance(document, dict) and document.get("run") == run
    submissions = document.get("submissions") if ok else None
    return submissions if isinstance(submissions, dict) else {}


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
