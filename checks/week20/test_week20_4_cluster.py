"""Week 20: the InferenceService on a real cluster, when the learner has one.

The current context of their kubeconfig is the cluster (as kubectl uses it). The check reads the
InferenceService named in inferenceservice.yaml with the `kubernetes` client, requires it Ready
(Ready, PredictorReady and IngressReady True, for the latest spec) and running the file's model
settings, then sends the held-out houses' eleven numbers to its status.url, V1 and V2, and
compares the answers with what models/ames-numeric/model.joblib predicts here. Without a
context it is blocked, with how to make a cluster: it never passes without one.
"""

from __future__ import annotations

import os

import pytest
from conftest import MANIFEST, Manifest, Note

from mlops_checks import cluster, cluster_checks, kserve_probe, manifests
from mlops_roadmap.checking import blocked, expect, expect_none

pytestmark = pytest.mark.timeout(600)
APPLY = f"kubectl apply -f {MANIFEST}"
GET_A_CLUSTER = (
    "Make a local cluster with KServe as the lesson's section 'The endpoint on a real cluster' "
    "shows: `kind create cluster`, then KServe's quick install (`curl -s "
    "https://raw.githubusercontent.com/kserve/kserve/master/hack/quick_install.sh | bash -s -- "
    "-r`), copy your numeric model to the cluster, `kubectl apply -f inferenceservice.yaml`, "
    "and run the checks again with the port-forward's INGRESS_HOST and INGRESS_PORT set."
)


def service_of(context: cluster.Context, manifest: Manifest) -> tuple[str, str, dict[str, object]]:
    if manifest.doc is None:
        blocked("inferenceservice.yaml is not one InferenceService, so there is nothing to "
                "look for", hint="Make the manifest checks pass first.")  # fmt: skip
    meta = manifest.doc.get("metadata") or {}
    name = str(meta.get("name") if isinstance(meta, dict) else "")
    namespace = str((meta.get("namespace") if isinstance(meta, dict) else None)
                    or context.namespace)  # fmt: skip
    return name, namespace, manifest.doc


@pytest.mark.points(3)
@pytest.mark.external("a Kubernetes cluster with KServe (kind or minikube: see the lesson)")
def test_cluster_endpoint(
    manifest: Manifest,
    facts: kserve_probe.ModelFacts,
    numeric_rows: list[list[float]],
    record_property: Note,
) -> None:
    """On your cluster the InferenceService is Ready and answers V1 and V2 with your prices"""
    context = cluster_checks.context_or_block(GET_A_CLUSTER)
    name, namespace, doc = service_of(context, manifest)
    where = f"InferenceService {namespace}/{name} on cluster {context.name}"
    live = cluster_checks.expect_service_ready(
        manifests.Doc(MANIFEST, doc), context, record_property, APPLY, GET_A_CLUSTER
    )
    local = facts.numeric.get("predictions")
    if facts.problem or not isinstance(local, list):
        blocked(
            "models/ames-numeric/model.joblib does not predict here, so there is nothing "
            "to compare the service with",
            hint="Make the numeric model check pass first.",
        )
    base, headers = cluster.endpoint(live, os.environ)
    expect(base, expected=f"{where} to have a status.url", found="no status.url",
           hint=f"kubectl get inferenceservice {name} -n {namespace} -o yaml")  # fmt: skip
    record_property("url", base + (f" (Host: {headers['Host']})" if headers else ""))
    expect_none(
        cluster.ask(name, numeric_rows, local, base, headers),
        expected=f"{where} to answer V1 and V2 for the {len(numeric_rows)} held-out houses with "
        f"the prices {kserve_probe.NUMERIC_MODEL} predicts here",
        hint="Reach the service as the lesson shows: a `kubectl port-forward` to it and "
        "INGRESS_HOST=localhost INGRESS_PORT=8080 set for the checks; and copy the model "
        "train.py wrote to the storageUri again if the prices differ.",
    )
