"""Grading on a Kubernetes cluster: one Indexed Job, one pod per submission, no network.

The grader writes ``OUT/kubernetes/submissions/<run>/<index>/`` (``<index>.tar`` and an
``index.json`` naming that index's student, week, commit and limits) and an empty
``results/<run>/<index>/`` for each submission; the instructor copies both into their volumes,
applies the manifests and copies the results back; ``collect`` reads them. Each pod mounts only
its own index's two folders (``subPathExpr``): it can read no classmate's work and overwrite
no classmate's verdict. It needs no API access, no network and no secrets.
docs/grading-on-kubernetes.md walks through it.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import image
from mlops_roadmap.grading.model import Limits

FORMAT = 1
LABEL = "mlops-roadmap.grading"
SUBMISSIONS_CLAIM = "mlops-roadmap-submissions"
RESULTS_CLAIM = "mlops-roadmap-results"
FILES_POD = "mlops-roadmap-files"  # a idle pod on both volumes, for `kubectl cp` in and out
WORK_MB = 1024  # the unpacked submission and its .venv
HOME_MB = 64


@dataclass(frozen=True)
class Submission:
    """One submission for the Job: its index (the pod's JOB_COMPLETION_INDEX) and its copy."""

    index: int
    student: str
    week: str  # week id, e.g. "week02"
    folder: Path | None = None  # the fresh copy to pack (only write_bundle needs it)
    commit: str | None = None


def dns_name(text: str, limit: int = 40) -> str:
    """``text`` as a DNS-1123 label fragment: lower case, digits and dashes."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:limit].strip("-")
    return name or "class"


def run_id(class_name: str, submissions: Sequence[Submission]) -> str:
    """A name for this batch: the class and a hash of who and what is graded (stable)."""
    digest = hashlib.sha256(class_name.encode())
    for s in submissions:
        digest.update(f"{s.index}|{s.student}|{s.week}|{s.commit}\n".encode())
    return f"{dns_name(class_name)}-{digest.hexdigest()[:8]}"


INDEX_ENV = {  # the Job controller's annotation, read here so subPathExpr can use it
    "name": "GRADING_INDEX",
    "valueFrom": {
        "fieldRef": {
            "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"
        }
    },
}


def _volume_mount(name: str, path: str, read_only: bool = False) -> dict[str, Any]:
    return {"name": name, "mountPath": path, "readOnly": read_only}


def pod_spec(img: str, command: list[str], limits: Limits) -> dict[str, Any]:
    """The locked-down pod both the grading pods and the files pod use (whole volumes)."""
    scratch = limits.scratch_mb + WORK_MB + HOME_MB + 64  # + container logs
    size = {
        "cpu": f"{round(limits.cpus * 1000)}m",
        "memory": f"{limits.memory_mb}Mi",
        "ephemeral-storage": f"{scratch}Mi",
    }
    return {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 5,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": image.USER_ID,
            "runAsGroup": image.USER_ID,
            "fsGroup": image.USER_ID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": "grade",
                "image": img,
                "imagePullPolicy": "IfNotPresent",
                "command": command,
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "runAsNonRoot": True,
                    "privileged": False,
                    "capabilities": {"drop": ["ALL"]},
                },
                "resources": {"requests": size, "limits": dict(size)},
                "volumeMounts": [
                    _volume_mount("submissions", "/submissions", read_only=True),
                    _volume_mount("results", "/results"),
                    _volume_mount("tmp", "/tmp"),
                    _volume_mount("work", "/work"),
                    _volume_mount("home", "/home/grader"),
                ],
            }
        ],
        "volumes": [
            {
                "name": "submissions",
                "persistentVolumeClaim": {"claimName": SUBMISSIONS_CLAIM, "readOnly": True},
            },
            {"name": "results", "persistentVolumeClaim": {"claimName": RESULTS_CLAIM}},
            {"name": "tmp", "emptyDir": {"sizeLimit": f"{limits.scratch_mb}Mi"}},
            {"name": "work", "emptyDir": {"sizeLimit": f"{WORK_MB}Mi"}},
            {"name": "home", "emptyDir": {"sizeLimit": f"{HOME_MB}Mi"}},
        ],
    }


SEALS = "{run}/seals"  # beside the indexes' folders: never inside what a grading pod mounts
SEAL_FILE = "seal.json"
SEAL_DIR = "/seal"  # the grading container's copy: read and deleted by the checker at its start


def seal_mount(pod: dict[str, Any], run: str) -> None:
    """The seal reaches the checker alone: an init container (no submission code) copies this
    index's seal from the submissions volume (outside the grading container's subPath) into a
    memory emptyDir; the checker reads it and deletes it before anything of the submission's
    runs (``grading.seal``)."""
    (container,) = pod["containers"]
    copier = {
        **{k: v for k, v in container.items() if k not in ("command", "volumeMounts", "env")},
        "name": "seal",
        "command": [
            "python3",
            "-I",
            "-c",
            f"import shutil; shutil.copy('/seal-in/{SEAL_FILE}', '{SEAL_DIR}/{SEAL_FILE}')",
        ],
        "env": [INDEX_ENV],
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": "250m", "memory": "128Mi"},
        },
        "volumeMounts": [
            {
                **_volume_mount("submissions", "/seal-in", read_only=True),
                "subPathExpr": f"{SEALS.format(run=run)}/$(GRADING_INDEX)",
            },
            _volume_mount("seal", SEAL_DIR),
        ],
    }
    pod["initContainers"] = [copier]
    container["volumeMounts"].append(_volume_mount("seal", SEAL_DIR))
    pod["volumes"].append({"name": "seal", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}})


def _meta(name: str, run: str) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": "mlops-roadmap-grading", "mlops-roadmap.run": run}
    return {"name": name, "labels": labels}


def setup_manifests(
    img: str, limits: Limits, storage_class: str | None = None
) -> list[dict[str, Any]]:
    """Applied once per namespace: the deny-all NetworkPolicy, both volumes, the files pod."""
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta("mlops-roadmap-grading-deny-all", "all"),
        # No rules: nothing in, nothing out (DNS included) for every grading pod.
        "spec": {
            "podSelector": {"matchLabels": {LABEL: "1"}},
            "policyTypes": ["Ingress", "Egress"],
        },
    }
    claims = [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": _meta(claim, "all"),
            "spec": {
                "accessModes": ["ReadWriteMany"],  # pods on several nodes read and write them
                "resources": {"requests": {"storage": size}},
                **({"storageClassName": storage_class} if storage_class else {}),
            },
        }
        for claim, size in ((SUBMISSIONS_CLAIM, "10Gi"), (RESULTS_CLAIM, "1Gi"))
    ]
    spec = pod_spec(img, ["python3", "-c", "import time; time.sleep(7 * 24 * 3600)"], limits)
    spec["containers"][0]["volumeMounts"][0]["readOnly"] = False  # it is how files get in
    spec["volumes"][0]["persistentVolumeClaim"]["readOnly"] = False
    files: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(FILES_POD, "all"),
        "spec": spec,
    }
    files["metadata"]["labels"][LABEL] = "1"
    return [policy, *claims, files]


def manifests(
    class_name: str,
    submissions: Sequence[Submission],
    img: str,
    limits: Limits,
    *,
    parallelism: int = 4,
    storage_class: str | None = None,
) -> list[dict[str, Any]]:
    """Everything to apply: the NetworkPolicy, volumes and files pod, then the Indexed Job."""
    indexes = sorted(s.index for s in submissions)
    if not submissions or indexes != list(range(len(submissions))):
        raise RoadmapError(f"{class_name}: submission indexes must be 0..n-1, got {indexes}")
    run, n = run_id(class_name, submissions), len(submissions)
    parallel = max(1, min(parallelism, n))
    wall = math.ceil(limits.wall_seconds)
    pod = pod_spec(img, ["python3", "-m", "mlops_roadmap.grading.podentry", "--run", run], limits)
    pod["activeDeadlineSeconds"] = wall + 120  # a backstop: podentry stops the checks at `wall`
    (container,) = pod["containers"]
    container["env"] = [INDEX_ENV]
    for mount in container["volumeMounts"][:2]:  # this index's submission and results only
        mount["subPathExpr"] = f"{run}/$(GRADING_INDEX)"
    seal_mount(pod, run)
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _meta(f"grade-{run}", run),
        "spec": {
            "completionMode": "Indexed",
            "completions": n,
            "parallelism": parallel,
            "backoffLimitPerIndex": 0,  # a failed pod is one student's verdict, not a retry
            "activeDeadlineSeconds": math.ceil(n / parallel) * (wall + 180) + 600,
            "ttlSecondsAfterFinished": 7 * 24 * 3600,
            "template": {
                "metadata": {"labels": {LABEL: "1", "mlops-roadmap.run": run}},
                "spec": pod,
            },
        },
    }
    return [*setup_manifests(img, limits, storage_class), job]
