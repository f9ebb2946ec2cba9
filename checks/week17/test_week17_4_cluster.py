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

from mlops_checks import cluster_checks, manifests
from mlops_roadmap.checking import blocked

pytestmark = pytest.mark.timeout(600)
GET_A_CLUSTER = (
    "Make a local cluster as the lesson's section 'A local cluster' shows: `kind create "
    "cluster` (https://kind.sigs.k8s.io/docs/user/quick-start/) or `minikube start`, load "
    "the image (`kind load docker-image housing-api:0.1.0`), create the Secret from .env, "
    "`kubectl apply -k k8s/`, and run the checks again."
)


@pytest.mark.points(3)
@pytest.mark.external("a Kubernetes cluster (kind or minikube: see the lesson)")
def test_on_the_cluster(
    folder: manifests.Folder, kubectl: str | None, record_property: Note
) -> None:
    """On your cluster the rollout is complete, a deleted pod comes back and the Service answers"""
    usable(folder, kubectl)
    objects = the_set(folder)
    if not objects.of("Service"):
        blocked("k8s/ has no Service to ask", hint="Make the check on the Service pass first.")
    context = cluster_checks.context_or_block(GET_A_CLUSTER)
    cluster_checks.expect_rolled_out(objects, context, record_property, "kubectl apply -k k8s/")
