"""Week 17: k8s/ holds Kubernetes objects that a cluster would accept as they are.

Every object is validated offline against the JSON schemas of Kubernetes 1.31
(``kubernetes-validate``, strict: a misspelt or misplaced field is an error, where `kubectl
apply` would drop or refuse it), and every kustomization renders with `kubectl kustomize`.
"""

from __future__ import annotations

import pytest
from conftest import Note, usable

from mlops_checks import manifests
from mlops_roadmap.checking import expect, expect_none

HINT = "Start from the scaffold's k8s/ files; each holds YAML documents with apiVersion and kind."


@pytest.mark.points(1)
def test_manifests_parse(folder: manifests.Folder) -> None:
    """k8s/ holds Kubernetes objects written as YAML"""
    unreadable = [p for p in folder.problems if not p.startswith("kubectl kustomize")]
    expect_none(
        unreadable,
        expected="every YAML document in k8s/ to be an object with apiVersion and kind",
        hint=HINT,
    )
    expect(folder.declared, expected="Kubernetes objects in k8s/", found="none", hint=HINT)


@pytest.mark.points(1)
def test_kustomize_renders(folder: manifests.Folder, kubectl: str | None) -> None:
    """Every kustomization in k8s/ renders with `kubectl kustomize`"""
    if not folder.kustomized:
        return  # nothing to render: plain manifests are read as they are
    usable(folder, kubectl)
    failed = [p for p in folder.problems if p.startswith("kubectl kustomize")]
    expect_none(
        failed,
        expected="`kubectl kustomize` to render " + ", ".join(folder.kustomized),
        hint="Run `kubectl kustomize k8s/` yourself: every file its resources name must "
        "exist beside it, and secret.example.yaml stays out of resources.",
    )


@pytest.mark.points(2)
def test_schema_valid(folder: manifests.Folder, kubectl: str | None, record_property: Note) -> None:
    """Every object validates strictly against Kubernetes 1.31's schema"""
    usable(folder, kubectl)
    rendered = [d for s in folder.sets for d in s.docs if d.source.startswith("kustomize ")]
    problems, unknown = manifests.validate([*folder.plain, *rendered])
    expect_none(
        problems,
        expected=f"every object in k8s/ valid for Kubernetes {manifests.K8S_VERSION} with no "
        "unknown field (kubernetes-validate --strict)",
        hint="Field names are case-sensitive camelCase at exact places (containerPort under "
        "ports, httpGet under readinessProbe); compare with `kubectl explain "
        "deployment.spec.template.spec.containers`.",
        shown=6,
    )
    if unknown:  # a custom resource (a ServiceMonitor): Kubernetes has no schema for it
        record_property("not validated", ", ".join(sorted(set(unknown))))
