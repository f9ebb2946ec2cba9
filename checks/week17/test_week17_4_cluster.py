"""Week 17: the Deployment and its Service on a real cluster, when the learner has one.

The cluster is the current context of the kubeconfig (as kubectl uses it). The check reads the
Deployment and Service named in k8s/ from the context's namespace (or the manifests' own), and
requires what `kubectl rollout status` waits for, a ready endpoint per replica, a deleted pod
replaced by a new ready one, and the Service answering the readiness probe's path through the
API server's service proxy. Without a context it is blocked, with how to make a cluster: it
never passes without one.
"""

from __future__ import annotations

import pytest
from conftest import Note, the_set, usable

from mlops_checks import cluster, kube_live, manifests, workloads
from mlops_roadmap.checking import blocked, expect, expect_none, fail

pytestmark = pytest.mark.timeout(600)
REPLACE_TIMEOUT = 180
GET_A_CLUSTER = (
    "Make a local cluster as the lesson's section 'A local cluster' shows: `kind create "
    "cluster` (https://kind.sigs.k8s.io/docs/user/quick-start/) or `minikube start`, load "
    "the image (`kind load docker-image housing-api:0.1.0`), create the Secret from .env, "
    "`kubectl apply -k k8s/`, and run the checks again."
)


def current() -> cluster.Context:
    try:
        context = cluster.current_context()
    except ImportError as exc:
        blocked(
            f"the checks need the kubernetes client: {exc}",
            hint="`pip install kubernetes` into the workspace .venv.",
        )
    except cluster.Unreachable as exc:
        blocked(f"the kubeconfig's current context cannot be used: {exc}", hint=GET_A_CLUSTER)
    if context is None:
        blocked(
            "no Kubernetes context: no kubeconfig ($KUBECONFIG or ~/.kube/config) with a "
            "current context, so there is no cluster to ask",
            hint=GET_A_CLUSTER,
        )
    return context


def namespace_of(doc: manifests.Doc, context: cluster.Context) -> str:
    meta = doc.obj.get("metadata") or {}
    return str(meta.get("namespace") or context.namespace)


@pytest.mark.points(3)
@pytest.mark.external("a Kubernetes cluster (kind or minikube: see the lesson)")
def test_on_the_cluster(
    folder: manifests.Folder, kubectl: str | None, record_property: Note
) -> None:
    """On your cluster the rollout is complete, a deleted pod comes back and the Service answers"""
    usable(folder, kubectl)
    objects = the_set(folder)
    deployment, services = objects.of("Deployment")[0], objects.of("Service")
    if not services:
        blocked("k8s/ has no Service to ask", hint="Make the check on the Service pass first.")
    context = current()
    ns = namespace_of(deployment, context)
    record_property("cluster", f"{context.name} ({context.server}), namespace {ns}")
    where = f"Deployment {ns}/{deployment.name} on cluster {context.name}"
    try:
        live, why = kube_live.get_json(
            context, f"/apis/apps/v1/namespaces/{ns}/deployments/{deployment.name}"
        )
        if live is None:
            fail(expected=where, found=why, hint="kubectl apply -k k8s/")
        expect_none(
            kube_live.rollout_problems(live),
            expected=f"{where} rolled out",
            hint=f"kubectl rollout status deployment/{deployment.name} -n {ns}; then "
            "kubectl describe pod and kubectl logs for the pods that are not "
            "ready.",
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
            hint="kubectl get pods -w while you delete one; kubectl "
            "describe pod shows why a new one does not get ready.",
        )
        record_property("pod replaced in", f"{seconds:.0f} s")
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
        blocked(
            f"the cluster of context {context.name} does not answer: {exc}",
            hint="Start it (`docker start kind-control-plane`, or `minikube start`) or "
            "choose another context (`kubectl config use-context NAME`).",
        )
