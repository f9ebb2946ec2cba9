"""The capstone's deployment manifests (week 23): ``deploy/`` (or ``k8s/``) holding either
week 17's shape, a Deployment with its Service (kustomized or plain files, ConfigMaps and a
Secret reference), or week 20's, a KServe InferenceService: a KServe runtime on the learner's
model (``predictor.model``) or the capstone's own API image (``predictor.containers``).

The judges are week 17's and week 20's (``workloads``, ``config_refs``, ``kserve_manifest``);
this module decides which apply to which object and what the app's own settings are.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from mlops_checks import config_refs, kserve_manifest, manifest_checks, manifests, workloads

FOLDERS = ("deploy", "k8s")


@dataclass(frozen=True)
class Deploy:
    """The manifest folder found (``path`` None when there is none) and its objects."""

    path: Path | None
    folder: manifests.Folder

    @property
    def name(self) -> str:
        return f"{self.path.name}/" if self.path else "deploy/"


def read(week_dir: Path, run: manifests.Runner, kubectl: str | None) -> Deploy:
    """The first of deploy/ and k8s/ that exists, read as week 17 reads k8s/."""
    path = next((week_dir / n for n in FOLDERS if (week_dir / n).is_dir()), None)
    return Deploy(
        path, manifests.read_folder(week_dir, path or week_dir / FOLDERS[0], run, kubectl)
    )


def unsupported(folder: manifests.Folder) -> list[str]:
    """Why the folder runs nothing: no set with a Deployment or an InferenceService."""
    if any(workloads.pod_owners(s) for s in folder.sets):
        return []
    kinds = sorted({d.kind for s in folder.sets for d in s.docs})
    return [f"objects of kinds {kinds or 'none'}, but no Deployment and no InferenceService"]


def validation(folder: manifests.Folder, find: kserve_manifest.Find | None) -> list[str]:
    """Every object strictly against Kubernetes' schema, an InferenceService against KServe's
    classes instead (``find`` None: there is none)."""
    rendered = [d for s in folder.sets for d in s.docs if d.source.startswith("kustomize ")]
    docs = [*folder.plain, *rendered]
    problems, _ = manifests.validate([d for d in docs if d.kind != "InferenceService"])
    for doc in docs:
        if doc.kind == "InferenceService" and find is not None:
            problems += [f"{doc.where}: {p}" for p in kserve_manifest.unknown_fields(doc.obj, find)]
    return problems


def has_inference_service(folder: manifests.Folder) -> bool:
    return any(d.kind == "InferenceService" for d in folder.declared)


def inference_service_problems(doc: manifests.Doc, replicas: int = 2) -> list[str]:
    """An InferenceService of week 20's kind: a KServe runtime on your model (its format, your
    own storageUri, resources), or your API's containers; ``replicas`` pods at least."""
    spec = doc.obj.get("spec") or {}
    predictor = spec.get("predictor") if isinstance(spec, dict) else None
    predictor = predictor if isinstance(predictor, dict) else {}
    settings = kserve_manifest.settings_problems(doc.obj, protocol=None)
    if "model" not in predictor:
        settings = [p for p in settings if not p.startswith("spec.predictor.model:")]
        if not predictor.get("containers"):
            settings.append(
                "spec.predictor: neither model (a KServe runtime on your model) nor "
                "containers (your API's image)"
            )
    count = predictor.get("minReplicas", 1)
    if not isinstance(count, int) or count < replicas:
        settings.append(f"spec.predictor.minReplicas is {count!r}, not {replicas} or more")
    return [f"{doc.where}: {p}" for p in settings]


def workload_problems(objects: manifests.ObjectSet) -> list[str]:
    """Deployments with their Service (week 17), InferenceServices (week 20), pinned images."""
    problems = []
    if objects.of("Deployment"):
        problems += workloads.deployment_problems(objects) + workloads.service_problems(objects)
    for doc in objects.of("InferenceService"):
        problems += inference_service_problems(doc)
    return problems + workloads.image_problems(objects)


def app_settings(app: Path) -> set[str]:
    """The environment variables a package reads by name (`os.environ.get("X")`,
    `os.getenv("X")`, `os.environ["X"]`)."""
    names: set[str] = set()
    for node in manifest_checks.app_nodes(app):
        key = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            owner = ast.unparse(node.func.value)
            if node.func.attr == "getenv" or (node.func.attr == "get" and "environ" in owner):
                key = node.args[0]
        elif isinstance(node, ast.Subscript) and "environ" in ast.unparse(node.value):
            key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def secret_problems(
    objects: manifests.ObjectSet, declared: tuple[manifests.Doc, ...], settings: set[str]
) -> list[str]:
    """Every variable named like a secret, and each secret the app reads (``settings`` named
    like one), set from a Secret only; every ConfigMap and Secret reference resolves."""
    sources = config_refs.env_sources(objects, declared)
    runs_app = any(True for _ in workloads.each_container(objects))
    wanted = {n for n in settings if config_refs.SECRET_NAME.search(n)} if runs_app else set()
    named = {n for n in sources if config_refs.SECRET_NAME.search(n)} | wanted
    problems = [
        f"{name} comes from {', '.join(sorted(sources.get(name, set()))) or 'nowhere'}, "
        "not a Secret"
        for name in sorted(named)
        if sources.get(name) != {"Secret"}
    ]
    return problems + config_refs.unresolved(objects, declared)
