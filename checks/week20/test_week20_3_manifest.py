"""Week 20: inferenceservice.yaml, judged offline against KServe's own API classes and the
lesson's choices.

The walk uses the generated classes KServe's SDK ships (``kserve.models`` and the Kubernetes
classes they refer to): on a cluster, a misspelt field of a custom resource can be dropped
without a word, and kubernetes-validate only warns about custom resources.
"""

from __future__ import annotations

import pytest
from conftest import MANIFEST, Manifest

from mlops_checks import kserve_manifest
from mlops_roadmap.checking import expect_none, fail

HINT = "Start from the scaffold's inferenceservice.yaml and keep it one YAML document."


def document(manifest: Manifest) -> dict[str, object]:
    if manifest.doc is None:
        fail(expected=f"{MANIFEST}: one InferenceService as YAML", found=manifest.problem,
             hint=HINT)  # fmt: skip
    return manifest.doc


@pytest.mark.points(1)
def test_manifest_fields(manifest: Manifest) -> None:
    """inferenceservice.yaml uses only fields KServe's InferenceService has"""
    doc = document(manifest)
    find = kserve_manifest.sdk_finder()
    expect_none(
        kserve_manifest.unknown_fields(doc, find),
        expected=f"every key of {MANIFEST} to be a field of KServe's V1beta1InferenceService "
        "(kserve.models) at its place, with a value of its type",
        hint="Fix the spelling: field names are case-sensitive camelCase (storageUri, "
        "modelFormat, protocolVersion, minReplicas); see KServe's API reference.",
        shown=6,
    )


@pytest.mark.points(2)
def test_manifest_settings(manifest: Manifest) -> None:
    """inferenceservice.yaml sets sklearn, your own storageUri, protocol v2 and resources"""
    expect_none(
        kserve_manifest.settings_problems(document(manifest)),
        expected=f"{MANIFEST}: a serving.kserve.io/v1beta1 InferenceService whose "
        "spec.predictor.model has modelFormat.name sklearn, a storageUri of your own (the "
        "folder holding models/ames-numeric/model.joblib, not KServe's public example), "
        "protocolVersion v2, and resources with cpu and memory requests no larger than their "
        "limits",
        hint="Copy models/ames-numeric/ to your storage (the lesson's PVC, or S3) and point "
        "storageUri at that folder; set requests and limits for both cpu and memory.",
    )
