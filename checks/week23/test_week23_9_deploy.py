"""Week 23: the capstone's deployment manifests, checked as weeks 17 and 20 check theirs.

deploy/ (or k8s/) holds either a Deployment with its Service (plain files or a kustomization,
settings from ConfigMaps, secrets from a Secret) for the API image the Dockerfile builds, or a
KServe InferenceService (a runtime on the model, or the API's own containers). Everything is
judged offline: kustomize renders, Kubernetes 1.31's schemas strictly (kubernetes-validate),
KServe's own API classes for an InferenceService, and what the objects mean (selectors, ports,
probes on the app's routes, resources, securityContext, references, no committed secret). The
last check asks a real cluster and is external: it never passes without one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mlops_checks import capstone_deploy, cluster_checks, config_refs, kserve_manifest, workloads
from mlops_checks.manifest_checks import get_routes, labelled, usable
from mlops_checks.manifests import K8S_VERSION, KUSTOMIZATIONS
from mlops_roadmap.checking import blocked, expect_none, fail

Note = Callable[[str, object], None]
Deploy = capstone_deploy.Deploy
FOUND_TITLE = "deploy/ (or k8s/) holds a Deployment and its Service, or a KServe InferenceService"
WRITE_IT = (
    "Write deploy/ as week 17 wrote k8s/ (kustomization.yaml naming deployment.yaml, "
    "service.yaml and configmap.yaml; secret.example.yaml with placeholders, left out of it) "
    "for the image this Dockerfile builds, or, as the stretch goal, an InferenceService as "
    "week 20 wrote inferenceservice.yaml. Check it with `kubectl kustomize deploy/`."
)
GET_A_CLUSTER = (
    "Make a local cluster as weeks 17 and 20 did: `kind create cluster` "
    "(https://kind.sigs.k8s.io/docs/user/quick-start/) or `minikube start`; build and load the "
    "image (`docker build -t ames-api:0.1.0 . && kind load docker-image ames-api:0.1.0`), create "
    "the Secret from .env (`kubectl create secret generic ... --from-env-file=.env`), apply "
    "deploy/ (`kubectl apply -k deploy/`; install KServe first for an InferenceService), and run "
    "the checks again."
)


def present(deploy: Deploy, kubectl: str | None) -> Deploy:
    """The folder, rendered: blocked when there is none, nothing it runs, or no kubectl."""
    if deploy.path is None or capstone_deploy.unsupported(deploy.folder):
        blocked(
            "there are no deployment manifests to judge",
            hint=f"Make the check '{FOUND_TITLE}' pass first.",
        )
    usable(deploy.folder, kubectl, deploy.name)
    return deploy


def judged(deploy: Deploy, kubectl: str | None, judge: Callable[..., list[str]]) -> list[str]:
    found = present(deploy, kubectl)
    return labelled(found.folder, kubectl, judge, found.name)


def containers_noted(deploy: Deploy, note: Note) -> None:
    """A set whose only workload is a KServe runtime has no container of the learner's."""
    if not any(True for s in deploy.folder.sets for _ in workloads.each_container(s)):
        note("containers", "none of yours: KServe's runtime serves the model")


@pytest.mark.points(1)
def test_deploy_manifests(deploy: Deploy) -> None:
    """deploy/ (or k8s/) holds a Deployment and its Service, or a KServe InferenceService"""
    if deploy.path is None:
        fail(
            expected="a deploy/ folder (or k8s/) with the Kubernetes objects that run the "
            "capstone's API",
            found="no deploy/ or k8s/ folder in the week folder",
            hint=WRITE_IT,
        )
    unreadable = [p for p in deploy.folder.problems if not p.startswith("kubectl kustomize")]
    expect_none(
        unreadable + capstone_deploy.unsupported(deploy.folder),
        expected=f"every YAML document in {deploy.name} an object with apiVersion and kind, "
        "among them a Deployment or an InferenceService",
        hint=WRITE_IT,
    )


@pytest.mark.points(1)
def test_deploy_renders(deploy: Deploy, deploy_kubectl: str | None) -> None:
    """Every kustomization in deploy/ renders with `kubectl kustomize`"""
    found = present(deploy, deploy_kubectl)
    failed = [p for p in found.folder.problems if p.startswith("kubectl kustomize")]
    expect_none(
        failed,
        expected="`kubectl kustomize` to render " + ", ".join(found.folder.kustomized),
        hint=f"Run `kubectl kustomize {found.name}` yourself: every file its resources name "
        "must exist beside it, and secret.example.yaml stays out of resources.",
    )


@pytest.mark.points(2)
def test_deploy_schema(deploy: Deploy, deploy_kubectl: str | None) -> None:
    """Each object validates strictly against Kubernetes 1.31, an InferenceService against KServe"""
    found = present(deploy, deploy_kubectl)
    find = kserve_manifest.sdk_finder() if capstone_deploy.has_inference_service(
        found.folder) else None  # fmt: skip
    expect_none(
        capstone_deploy.validation(found.folder, find),
        expected=f"every object valid for Kubernetes {K8S_VERSION} with no unknown field "
        "(kubernetes-validate --strict), and every key of an InferenceService a field of "
        "KServe's V1beta1InferenceService (kserve.models) at its place",
        hint="Field names are case-sensitive camelCase at exact places (containerPort under "
        "ports, httpGet under readinessProbe, storageUri under predictor.model); compare with "
        "`kubectl explain deployment.spec.template.spec.containers` and KServe's API reference.",
        shown=6,
    )


@pytest.mark.points(2)
def test_deploy_workload(deploy: Deploy, deploy_kubectl: str | None) -> None:
    """Two or more pods of a pinned image, selected by their Deployment and Service, or by KServe"""
    expect_none(
        judged(deploy, deploy_kubectl, capstone_deploy.workload_problems),
        expected="an apps/v1 Deployment (replicas >= 2) whose spec.selector and Service select "
        "its pod template's labels, the Service's targetPort a containerPort; or an "
        "InferenceService (minReplicas >= 2) with a model of your own (modelFormat, storageUri, "
        "resources) or your API's containers; every image with a pinned tag",
        hint="spec.selector.matchLabels must equal spec.template.metadata.labels and the "
        "Service's selector; tag the image (ames-api:0.1.0), never :latest or no tag.",
    )


@pytest.mark.points(2)
def test_deploy_probes(
    deploy: Deploy, deploy_kubectl: str | None, week_dir: Path, record_property: Note
) -> None:
    """Readiness and liveness probes ask the API's health route on a port its container opens"""
    routes = get_routes(week_dir / "app")
    expect_none(
        judged(deploy, deploy_kubectl, lambda s: workloads.probe_problems(s, routes)),
        expected="readinessProbe and livenessProbe with httpGet on a GET route of the app ("
        + (", ".join(sorted(routes)) or "its health route")
        + ") and a port the container opens",
        hint="httpGet: {path: /health, port: http} for both, the port named in ports.",
    )
    containers_noted(deploy, record_property)


@pytest.mark.points(1)
def test_deploy_resources(
    deploy: Deploy, deploy_kubectl: str | None, record_property: Note
) -> None:
    """Every container sets CPU and memory requests and limits"""
    expect_none(
        judged(deploy, deploy_kubectl, workloads.resource_problems),
        expected="resources.requests and resources.limits for cpu and memory on every "
        "container, each request at most its limit",
        hint="requests: {cpu: 100m, memory: 256Mi}; limits: {cpu: 500m, memory: 512Mi}. "
        "Measure with `docker stats` while `make demo` sends traffic.",
    )
    containers_noted(deploy, record_property)


@pytest.mark.points(2)
def test_deploy_security(deploy: Deploy, deploy_kubectl: str | None, record_property: Note) -> None:
    """The API's pods run as non-root, without privilege escalation or capabilities"""
    expect_none(
        judged(deploy, deploy_kubectl, workloads.security_problems),
        expected="runAsNonRoot: true (pod or container), no runAsUser 0, and in each "
        "container's securityContext allowPrivilegeEscalation: false and capabilities.drop "
        "[ALL]",
        hint="The pod's securityContext: {runAsNonRoot: true, runAsUser: 65534} (the "
        "Dockerfile's USER nobody); the container's: {allowPrivilegeEscalation: false, "
        "capabilities: {drop: [ALL]}}.",
    )
    containers_noted(deploy, record_property)


@pytest.mark.points(2)
def test_deploy_references(deploy: Deploy, deploy_kubectl: str | None, week_dir: Path) -> None:
    """The API's secrets come from a Secret, and every ConfigMap and Secret reference resolves"""
    settings = capstone_deploy.app_settings(week_dir / "app")
    secrets = sorted(n for n in settings if config_refs.SECRET_NAME.search(n))
    expect_none(
        judged(
            deploy,
            deploy_kubectl,
            lambda s: capstone_deploy.secret_problems(s, deploy.folder.declared, settings),
        ),
        expected="every variable named like a secret ("
        + (", ".join(secrets) or "a token, a password, a key")
        + ") set from a Secret (secretKeyRef or envFrom secretRef), and every ConfigMap and "
        "Secret named (with its key) declared in the folder",
        hint="Declare the Secret's shape with placeholder values in secret.example.yaml (left "
        "out of kustomization.yaml) and make the real one with `kubectl create secret generic "
        "NAME --from-env-file=.env`; settings go in a ConfigMap.",
    )


@pytest.mark.points(2)
def test_deploy_no_secret_values(
    deploy: Deploy, deploy_committed: set[Path], week_dir: Path
) -> None:
    """No file git would commit in deploy/ holds a secret's real value"""
    if deploy.path is None:
        blocked("there are no deployment manifests", hint=f"Make the check '{FOUND_TITLE}' "
                "pass first.")  # fmt: skip
    kustomizations = sorted(
        p
        for p in deploy.path.rglob("*")
        if p.name in KUSTOMIZATIONS and p.is_file() and p.resolve() in deploy_committed
    )
    expect_none(
        config_refs.leaked(deploy.folder.declared, kustomizations, deploy_committed, week_dir),
        expected="Secrets in committed files with placeholder values only (empty, <...>, "
        "REPLACE_ME), no secret in a ConfigMap or a container's env value, no secretGenerator "
        "literal",
        hint="Anyone who reads the repository has what it holds (a Secret is only base64): "
        "keep real values in the git-ignored .env, make the Secret from it with kubectl, and "
        "rotate any value that was committed.",
    )


@pytest.mark.points(3)
@pytest.mark.timeout(600)
@pytest.mark.external(
    "a Kubernetes cluster (kind or minikube, with KServe for an InferenceService)"
)
def test_deploy_on_the_cluster(
    deploy: Deploy, deploy_kubectl: str | None, record_property: Note
) -> None:
    """On your cluster the API is rolled out and answers, or its InferenceService is Ready"""
    found = present(deploy, deploy_kubectl)
    apply = (f"kubectl apply -k {found.name}" if found.folder.kustomized
             else f"kubectl apply -f {found.name}")  # fmt: skip
    with_pods = [s for s in found.folder.sets if s.of("Deployment")]
    if with_pods and not with_pods[0].of("Service"):
        blocked(f"{found.name} has no Service to ask", hint="Make the check on the workload "
                "pass first.")  # fmt: skip
    context = cluster_checks.context_or_block(GET_A_CLUSTER)
    if with_pods:
        cluster_checks.expect_rolled_out(with_pods[0], context, record_property, apply)
        return
    service = next(d for d in found.folder.declared if d.kind == "InferenceService")
    live = cluster_checks.expect_service_ready(service, context, record_property, apply)
    url = (live.get("status") or {}).get("url")
    if not url:
        fail(expected=f"InferenceService {service.name} to have a status.url",
             found="no status.url", hint=f"kubectl get inferenceservice {service.name} -o "
             "yaml")  # fmt: skip
    record_property("url", str(url))
