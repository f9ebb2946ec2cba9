"""Week 17: what the objects mean, judged as the API server, the kubelet and the Service
controller would judge them later: every check reads the objects of k8s/ (rendered by kustomize
where a kustomization exists) and names each problem with its object and field.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import K8S

from mlops_checks import config_refs, manifests, workloads
from mlops_checks.manifest_checks import labelled
from mlops_roadmap.checking import expect_none

APP_SECRETS = ("JWT_SECRET", "PSEUDONYM_KEY")  # the API refuses to start without them


@pytest.mark.points(2)
def test_deployment(folder: manifests.Folder, kubectl: str | None) -> None:
    """The Deployment runs two or more pods of a pinned image, and its selector selects them"""
    expect_none(
        labelled(
            folder,
            kubectl,
            lambda s: workloads.deployment_problems(s) + workloads.image_problems(s),
        ),
        expected="an apps/v1 Deployment with replicas >= 2, a spec.selector matching its pod "
        "template's labels, and images with a pinned tag",
        hint="spec.selector.matchLabels must equal spec.template.metadata.labels; tag the "
        "image (housing-api:0.1.0), never :latest or no tag.",
    )


@pytest.mark.points(2)
def test_service(folder: manifests.Folder, kubectl: str | None) -> None:
    """The Service selects the Deployment's pods and targets a port their container opens"""
    expect_none(
        labelled(folder, kubectl, workloads.service_problems),
        expected="a Service whose selector matches the pod labels and whose targetPort is a "
        "containerPort (by name or number)",
        hint="Copy the pod template's labels into the Service's selector; targetPort: http "
        "names the container port called http. `kubectl get endpoints housing-api` shows "
        "the result on a cluster.",
    )


@pytest.mark.points(2)
def test_probes(folder: manifests.Folder, kubectl: str | None, routes: set[str]) -> None:
    """Readiness and liveness probes ask the app's health route on its port"""
    expect_none(
        labelled(folder, kubectl, lambda s: workloads.probe_problems(s, routes)),
        expected="readinessProbe and livenessProbe with httpGet on a GET route of the app "
        "(" + (", ".join(sorted(routes)) or "its health route") + ") and a port the container "
        "opens",
        hint="httpGet: {path: /health, port: http} for both; /health answers without a token.",
    )


@pytest.mark.points(1)
def test_resources(folder: manifests.Folder, kubectl: str | None) -> None:
    """Every container sets CPU and memory requests and limits"""
    expect_none(
        labelled(folder, kubectl, workloads.resource_problems),
        expected="resources.requests and resources.limits for cpu and memory on every "
        "container, each request at most its limit",
        hint="requests: {cpu: 100m, memory: 256Mi}; limits: {cpu: 500m, memory: 512Mi}. "
        "Measure with `docker stats` before choosing.",
    )


@pytest.mark.points(2)
def test_security_context(folder: manifests.Folder, kubectl: str | None) -> None:
    """The pod runs as non-root, without privilege escalation or capabilities"""
    expect_none(
        labelled(folder, kubectl, workloads.security_problems),
        expected="runAsNonRoot: true (pod or container), no runAsUser 0, and in each "
        "container's securityContext allowPrivilegeEscalation: false and capabilities.drop "
        "[ALL]",
        hint="The pod's securityContext: {runAsNonRoot: true, runAsUser: 10001}; the "
        "container's: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}.",
    )


def secrets_from_secret(objects: manifests.ObjectSet, folder: manifests.Folder) -> list[str]:
    """The app's secrets come from a Secret, and some setting from a ConfigMap."""
    sources = config_refs.env_sources(objects, folder.declared)
    problems = [
        f"{name} comes from {', '.join(sorted(sources.get(name, set()))) or 'nowhere'}, "
        "not a Secret"
        for name in APP_SECRETS
        if sources.get(name) != {"Secret"}
    ]
    if not any(r.kind == "ConfigMap" for r in config_refs.refs(objects)):
        problems.append("no setting comes from a ConfigMap")
    return problems + config_refs.unresolved(objects, folder.declared)


@pytest.mark.points(2)
def test_config_and_secret_references(folder: manifests.Folder, kubectl: str | None) -> None:
    """Settings come from the ConfigMap, JWT_SECRET and PSEUDONYM_KEY from a Secret, and every
    reference resolves"""
    expect_none(
        labelled(folder, kubectl, lambda s: secrets_from_secret(s, folder)),
        expected="JWT_SECRET and PSEUDONYM_KEY from a Secret (secretKeyRef or envFrom "
        "secretRef), settings from a ConfigMap, and every ConfigMap and Secret named (with "
        "its key) declared in k8s/",
        hint="Declare the Secret's shape with placeholder values in k8s/secret.example.yaml "
        "(left out of kustomization.yaml) and make the real one with `kubectl create secret "
        "generic housing-api-secrets --from-env-file=.env`.",
    )


@pytest.mark.points(2)
def test_no_secret_values(folder: manifests.Folder, committed: set[Path], week_dir: Path) -> None:
    """No file git would commit holds a secret's real value"""
    # Every kustomization in k8s/, bases included: a base's secretGenerator is committed too.
    kustomizations = sorted(
        p
        for p in (week_dir / K8S).rglob("*")
        if p.name in manifests.KUSTOMIZATIONS and p.is_file() and p.resolve() in committed
    )
    expect_none(
        config_refs.leaked(folder.declared, kustomizations, committed, week_dir),
        expected="Secrets in committed files with placeholder values only (empty, <...>, "
        "REPLACE_ME), no secret in a ConfigMap or a container's env value, no secretGenerator "
        "literal",
        hint="Secrets are only base64-encoded: anyone who reads the repository has them. Keep "
        "real values in the git-ignored .env and make the Secret from it with kubectl; if "
        "one was committed, rotate it.",
    )
