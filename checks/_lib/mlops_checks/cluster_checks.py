"""The cluster checks' shared steps (weeks 17, 20 and the capstone): the kubeconfig's current
context or a blocked check saying how to make a cluster, then a Deployment and its Service
rolled out and answering, or an InferenceService Ready and running the file as it is now.

The steps assert through ``mlops_roadmap.checking``: they are the bodies of checks marked
``external``, which never pass without a cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlops_checks import cluster, kube_live, manifests, workloads
from mlops_roadmap.checking import blocked, expect, expect_none, fail

Note = Callable[[str, object], None]  # the record_property fixture
REPLACE_TIMEOUT = 180
START_IT = (
    "Start it (`docker start kind-control-plane`, or `minikube start`) or choose another "
    "context (`kubectl config use-context NAME`)."
)


def context_or_block(get_a_cluster: str) -> cluster.Context:
    """The current context, or the check blocked with how to get a cluster."""
    try:
        context = cluster.current_context()
    except ImportError as exc:
        blocked(
            f"the checks need the kubernetes client: {exc}",
            hint="`pip install kubernetes` into the workspace .venv.",
        )
    except cluster.Unreachable as exc:
        blocked(f"the kubeconfig's current context cannot be used: {exc}", hint=get_a_cluster)
    if context is None:
        blocked(
            "no Kubernetes context: no kubeconfig ($KUBECONFIG or ~/.kube/config) with a "
            "current context, so there is no cluster to ask",
            hint=get_a_cluster,
        )
    return context


def namespace_of(doc: manifests.Doc, context: cluster.Context) -> str:
    meta = doc.obj.get("metadata") or {}
    return str(meta.get("namespace") or context.namespace)


def expect_rolled_out(
    objects: manifests.ObjectSet, context: cluster.Context, note: Note, apply: str
) -> None:
    """The set's first Deployment rolled out, a ready endpoint per replica behind its first
    Service, a deleted pod replaced by a ready one, and the Service answering the readiness
    probe's path through the API server's service proxy. ``apply`` is the command that applies
    the folder (for hints)."""
    deployment, services = objects.of("Deployment")[0], objects.of("Service")
    if not services:
        blocked("no Service to ask", hint="Make the check on the Service pass first.")
    ns = namespace_of(deployment, context)
    note("cluster", f"{context.name} ({context.server}), namespace {ns}")
    where = f"Deployment {ns}/{deployment.name} on cluster {context.name}"
    try:
        live, why = kube_live.get_json(
            context, f"/apis/apps/v1/namespaces/{ns}/deployments/{deployment.name}"
        )
        if live is None:
            fail(expected=where, found=why, hint=apply)
        expect_none(
            kube_live.rollout_problems(live),
            expected=f"{where} rolled out",
            hint=f"kubectl rollout status deployment/{deployment.name} -n {ns}; then "
            "kubectl describe pod and kubectl logs for the pods that are not ready.",
        )
        service = services[0]
        endpoints, why = kube_live.get_json(
            context, f"/api/v1/namespaces/{ns}/endpoints/{service.name}"
        )
        addresses = kube_live.ready_addresses(endpoints or {})
        want = (live.get("spec") or {}).get("replicas", 1)
        expect(
            len(addresses) >= want,
            expected=f"Service {ns}/{service.name} with a ready endpoint per replica ({want})",
            found=why or f"{len(addresses)}: {addresses}",
            hint=f"kubectl get endpoints {service.name} -n {ns}: its selector must match "
            "the pod labels.",
        )
        problem, seconds = kube_live.replace_a_pod(context, ns, live, REPLACE_TIMEOUT)
        expect(
            not problem,
            expected=f"{where} to replace a deleted pod with a new ready one",
            found=problem,
            hint="kubectl get pods -w while you delete one; kubectl describe pod shows why a "
            "new one does not get ready.",
        )
        note("pod replaced in", f"{seconds:.0f} s")
        port = ((service.obj.get("spec") or {}).get("ports") or [{}])[0].get("port")
        container = workloads.containers(deployment)[0]
        path = str(
            ((container.get("readinessProbe") or {}).get("httpGet") or {}).get("path") or "/health"
        )
        answer = kube_live.through_service(context, ns, service.name, port, path)
        expect(
            200 <= answer.status < 400,
            expected=f"Service {ns}/{service.name} port {port} to answer GET {path}",
            found=f"status {answer.status}: {answer.body[:200]}",
            hint=f"kubectl port-forward service/{service.name} 8080:{port}, then curl "
            f"localhost:8080{path}.",
        )
    except cluster.Unreachable as exc:
        blocked(f"the cluster of context {context.name} does not answer: {exc}", hint=START_IT)


def expect_service_ready(
    doc: manifests.Doc, context: cluster.Context, note: Note, apply: str, install: str = ""
) -> dict[str, Any]:
    """The InferenceService of ``doc`` on the cluster, running the file as it is now and Ready
    (Ready, PredictorReady and IngressReady True): its object as the API server gave it."""
    name, namespace = doc.name, namespace_of(doc, context)
    note("cluster", f"{context.name} ({context.server})")
    try:
        found = cluster.read_service(context, namespace, name)
    except cluster.Unreachable as exc:
        blocked(f"the cluster of context {context.name} does not answer: {exc}", hint=START_IT)
    where = f"InferenceService {namespace}/{name} on cluster {context.name}"
    if found.obj is None:
        fail(**missing(found.missing, where, found.detail, apply, install))
    expect_none(
        cluster.drift(found.obj, doc.obj),
        expected=f"{where} to run {doc.source} as it is now",
        hint=apply,
    )
    expect_none(
        cluster.not_ready(found.obj),
        expected=f"{where} Ready: Ready, PredictorReady and IngressReady True",
        hint=f"kubectl describe inferenceservice {name} -n {namespace}, then the predictor "
        f"pod's events and logs (kubectl get pods -n {namespace}; kubectl logs POD -c "
        f"kserve-container -n {namespace}).",
    )
    return found.obj


def missing(why: str, where: str, detail: str, apply: str, install: str = "") -> dict[str, str]:
    """What a check says when the cluster has no such InferenceService (``cluster.Found``):
    ``apply`` applies it, ``install`` says how to install KServe."""
    if why == "resource":
        return {
            "expected": f"{where}: KServe installed (the InferenceService resource)",
            "found": "the API server has no serving.kserve.io/v1beta1 inferenceservices: "
            f"{detail[:200]}",
            "hint": install or "Install KServe on the cluster (its quick install), then " + apply,
        }
    if why == "access":
        return {
            "expected": f"to read {where}",
            "found": detail,
            "hint": "Use a context whose user may get inferenceservices in that namespace.",
        }
    return {"expected": where, "found": "no such InferenceService", "hint": apply}
