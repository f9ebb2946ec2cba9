"""Week 23's deployment checks (checks/week23/test_week23_9_deploy.py) judged both ways.

First, offline and fast, the readers they add to weeks 17's and 20's: the settings the app reads,
an InferenceService of either form, a folder that runs nothing. Then through the real CLI on a
week folder laid as `course verify` lays it: the reference solution's deploy/ passes every check
but the cluster's, which is blocked (external: never passed here); the fresh scaffold fails the
first check with what to write; each wrong manifest fails exactly its own check, named in
`found`; and sets written differently (an InferenceService running the API's image, KServe's
runtime on the model in k8s/, plain files without kustomize) pass.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops_checks import capstone_deploy, manifests, workloads
from mlops_roadmap import course, procs, scaffold, workspace
from mlops_roadmap.manifest import collect_week
from tests.conftest import REPO, Cli
from tests.test_week09_api import check, edit, outcomes

WEEK = 23
TEMPLATE = REPO / "templates" / "week23"
SELECT = "week23_9"
TITLES = {
    "found": "deploy/ (or k8s/) holds a Deployment and its Service, or a KServe InferenceService",
    "renders": "Every kustomization in deploy/ renders with `kubectl kustomize`",
    "schema": "Each object validates strictly against Kubernetes 1.31, an InferenceService "
    "against KServe",
    "workload": "Two or more pods of a pinned image, selected by their Deployment and Service, "
    "or by KServe",
    "probes": "Readiness and liveness probes ask the API's health route on a port its container "
    "opens",
    "resources": "Every container sets CPU and memory requests and limits",
    "security": "The API's pods run as non-root, without privilege escalation or capabilities",
    "references": "The API's secrets come from a Secret, and every ConfigMap and Secret "
    "reference resolves",
    "no secrets": "No file git would commit in deploy/ holds a secret's real value",
    "cluster": "On your cluster the API is rolled out and answers, or its InferenceService is "
    "Ready",
}
OFFLINE = [k for k in TITLES if k != "cluster"]
KUBECTL = shutil.which("kubectl")


# -- the readers, offline ------------------------------------------------------------------------


def doc(text: str, source: str = "deploy/inferenceservice.yaml") -> manifests.Doc:
    return manifests.Doc(source, yaml.safe_load(text))


ISVC_API = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: ames-api
spec:
  predictor:
    minReplicas: 2
    maxReplicas: 4
    securityContext:
      runAsNonRoot: true
      runAsUser: 65534
    containers:
      - name: kserve-container
        image: ames-api@sha256:4f1c0c3b7a3fb1e0a8f0b9f1e2d3c4b5a6978877665544332211000fedcba987
        ports:
          - containerPort: 8000
            protocol: TCP
        env:
          - name: MODEL_PATH
            valueFrom:
              configMapKeyRef:
                name: ames-settings
                key: model-path
          - name: MODEL_REGISTRY_TOKEN
            valueFrom:
              secretKeyRef:
                name: ames-registry
                key: token
          - name: JWT_SECRET
            valueFrom:
              secretKeyRef:
                name: ames-registry
                key: jwt-secret
        readinessProbe:
          httpGet:
            path: /health
            port: 8000
        livenessProbe:
          httpGet:
            path: /health
            port: 8000
          initialDelaySeconds: 20
        resources:
          requests:
            cpu: 250m
            memory: 300Mi
          limits:
            cpu: "1"
            memory: 600Mi
        securityContext:
          allowPrivilegeEscalation: false
          capabilities:
            drop: [ALL]
"""
ISVC_API_EXTRAS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: ames-settings
data:
  model-path: models/linear.joblib
---
apiVersion: v1
kind: Secret
metadata:
  name: ames-registry
stringData:
  token: ""
  jwt-secret: ""
"""
ISVC_RUNTIME = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: ames-price
spec:
  predictor:
    minReplicas: 2
    model:
      modelFormat:
        name: sklearn
      storageUri: pvc://ames-models/linear
      resources:
        requests: {cpu: 500m, memory: 512Mi}
        limits: {cpu: "1", memory: 1Gi}
"""


def test_the_app_reads_its_settings_and_one_secret() -> None:
    assert capstone_deploy.app_settings(TEMPLATE / "app") == {
        "MODEL_PATH",
        "MODEL_VERSION",
        "MODEL_REGISTRY_TOKEN",
        "ENABLE_DEBUG_ROUTES",
    }


def test_inference_services_of_either_form_are_complete() -> None:
    assert capstone_deploy.inference_service_problems(doc(ISVC_API)) == []
    assert capstone_deploy.inference_service_problems(doc(ISVC_RUNTIME)) == []
    objects = manifests.ObjectSet("deploy", (doc(ISVC_API),))
    assert [w for w, _, _ in workloads.each_container(objects)] == [
        "InferenceService ames-api predictor, container kserve-container"
    ]
    assert workloads.probe_problems(objects, {"/health"}) == []
    assert workloads.security_problems(objects) == []


def test_an_inference_service_missing_its_predictor_or_pods_is_named() -> None:
    bare = doc(ISVC_RUNTIME.replace("    minReplicas: 2\n", "").split("    model:")[0])
    assert capstone_deploy.inference_service_problems(bare) == [
        "InferenceService ames-price (deploy/inferenceservice.yaml): spec.predictor: neither "
        "model (a KServe runtime on your model) nor containers (your API's image)",
        "InferenceService ames-price (deploy/inferenceservice.yaml): spec.predictor.minReplicas "
        "is 1, not 2 or more",
    ]


def test_a_folder_that_runs_nothing_says_what_it_holds(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "cm.yaml").write_text(ISVC_API_EXTRAS, encoding="utf-8")
    found = capstone_deploy.read(tmp_path, procs.run, KUBECTL)
    assert found.name == "deploy/"
    assert capstone_deploy.unsupported(found.folder) == [
        "objects of kinds ['ConfigMap', 'Secret'], but no Deployment and no InferenceService"
    ]


# -- through the CLI -----------------------------------------------------------------------------


class Laid:
    """One workspace with the week's scaffold and reference solution laid (prepare.sh is not
    run: the deployment checks read files only), put back before each case."""

    def __init__(self, base: Path) -> None:
        plan = course.load(REPO)
        week = plan.plan.week(WEEK)
        ws = workspace.init(base / "ws")
        self.week = ws.week_dir(week)
        scaffold.lay(plan, week, ws, self.week, force=False)
        shutil.copytree(
            plan.solution(week),
            self.week,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("prepare.sh"),
        )
        self.pristine = base / "pristine"
        shutil.copytree(self.week, self.pristine, symlinks=True)

    def reset(self) -> Path:
        shutil.rmtree(self.week)
        shutil.copytree(self.pristine, self.week, symlinks=True)
        return self.week


@pytest.fixture(scope="module")
def laid(tmp_path_factory: pytest.TempPathFactory) -> Laid:
    return Laid(tmp_path_factory.mktemp("week23-deploy"))


def judged(cli: Cli, week: Path) -> dict[str, dict[str, Any]]:
    checks = check(cli, week, SELECT, timeout=300)
    assert set(outcomes(checks, TITLES)) == set(TITLES), sorted(checks)
    return checks


def found(checks: dict[str, dict[str, Any]], key: str) -> str:
    return str(checks[TITLES[key]]["found"])


def blocked_cluster(checks: dict[str, dict[str, Any]]) -> None:
    """The cluster check is never passed here: blocked, saying how to make a cluster."""
    cluster = checks[TITLES["cluster"]]
    assert cluster["outcome"] == "blocked", cluster
    assert found(checks, "cluster").startswith("no Kubernetes context")
    assert "kind create cluster" in cluster["hint"] and "minikube start" in cluster["hint"]


@pytest.mark.slow
def test_the_solution_passes_and_the_cluster_check_is_not_proven(cli: Cli, laid: Laid) -> None:
    checks = judged(cli, laid.reset())
    assert outcomes(checks, TITLES) == {**dict.fromkeys(OFFLINE, "passed"), "cluster": "blocked"}
    blocked_cluster(checks)


def test_the_cluster_check_is_external_in_the_manifest() -> None:
    plan = course.load(REPO)
    external = {
        c.title: c.external for c in collect_week(plan, plan.plan.week(WEEK)).checks if c.external
    }
    assert external.get(TITLES["cluster"], "").startswith("a Kubernetes cluster")


@pytest.mark.slow
def test_the_scaffold_fails_with_what_to_write(cli: Cli, tmp_path: Path) -> None:
    plan = course.load(REPO)
    week = plan.plan.week(WEEK)
    ws = workspace.init(tmp_path / "ws")
    scaffold.lay(plan, week, ws, ws.week_dir(week), force=False)
    checks = judged(cli, ws.week_dir(week))
    assert outcomes(checks, TITLES) == {**dict.fromkeys(TITLES, "blocked"), "found": "failed"}
    assert found(checks, "found") == "no deploy/ or k8s/ folder in the week folder"
    hint = checks[TITLES["found"]]["hint"]
    assert "week 17" in hint and "week 20" in hint and "kustomization.yaml" in hint


def in_deploy(name: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda week: edit(week / "deploy" / name, old, new)


# Each wrong manifest: the one check it fails and what that check's `found` names.
WRONG: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "a Service selector that matches nothing": (
        in_deploy(
            "service.yaml",
            "  selector:\n    app.kubernetes.io/name: ames-api",
            "  selector:\n    app.kubernetes.io/name: ames-web",
        ),
        "workload",
        "selects no Deployment's pods",
    ),
    "a secret value committed": (
        in_deploy(
            "secret.example.yaml",
            '"<the registry\'s token, from .env>"',
            "mlflow-7f3a9c2e41b8d6055e",
        ),
        "no secrets",
        "MODEL_REGISTRY_TOKEN holds a real value: mlf... (25 characters)",
    ),
    "a readiness probe on a port the container does not open": (
        in_deploy(
            "deployment.yaml",
            "path: /health\n              port: http\n            periodSeconds: 5",
            "path: /health\n              port: 9000\n            periodSeconds: 5",
        ),
        "probes",
        "readinessProbe port 9000 is not a port the container opens",
    ),
    "the image's :latest": (
        in_deploy("deployment.yaml", "image: ames-api:0.1.0", "image: ames-api:latest"),
        "workload",
        "image 'ames-api:latest' is not pinned",
    ),
    "no memory limit": (
        in_deploy(
            "deployment.yaml",
            "              cpu: 500m\n              memory: 512Mi",
            "              cpu: 500m",
        ),
        "resources",
        "no memory limits",
    ),
    "root": (
        in_deploy(
            "deployment.yaml", "runAsUser: 65534    # the image's USER nobody", "runAsUser: 0"
        ),
        "security",
        "runAsUser is 0 (root)",
    ),
    "the token as a plain value": (
        in_deploy(
            "deployment.yaml",
            "              valueFrom:\n                secretKeyRef:\n"
            "                  name: ames-api-secrets\n                  key: "
            "MODEL_REGISTRY_TOKEN",
            '              value: "<set on the cluster>"',
        ),
        "references",
        "MODEL_REGISTRY_TOKEN comes from value, not a Secret",
    ),
    "a ConfigMap nobody declares": (
        in_deploy("deployment.yaml", "name: ames-api-config", "name: ames-api-settings"),
        "references",
        "no ConfigMap named 'ames-api-settings' is declared",
    ),
    "a misspelt field": (
        in_deploy(
            "deployment.yaml", "imagePullPolicy: IfNotPresent", "imagePullpolicy: IfNotPresent"
        ),
        "schema",
        "imagePullpolicy",
    ),
}
WRONG["a probe on a route the app does not have"] = (
    in_deploy(
        "deployment.yaml",
        "path: /health\n              port: http\n            initialDelaySeconds",
        "path: /healthz\n              port: http\n            initialDelaySeconds",
    ),
    "probes",
    "livenessProbe asks /healthz, which is not one of the app's GET routes",
)


@pytest.mark.slow
@pytest.mark.parametrize("case", list(WRONG), ids=lambda c: re.sub(r"\W+", "-", c).strip("-"))
def test_a_wrong_manifest_fails_its_own_check(cli: Cli, laid: Laid, case: str) -> None:
    change, key, named = WRONG[case]
    week = laid.reset()
    change(week)
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {
        **dict.fromkeys(OFFLINE, "passed"),
        key: "failed",
        "cluster": "blocked",
    }, checks
    assert named in found(checks, key), found(checks, key)


# An InferenceService with a field misspelt: the schema check names it; the rest still pass.
TYPO = ("    maxReplicas: 4\n", "    maxReplica: 4\n")


def inference_service(week: Path, folder: str, text: str, extras: str = "") -> None:
    shutil.rmtree(week / "deploy")
    (week / folder).mkdir()
    (week / folder / "inferenceservice.yaml").write_text(text, encoding="utf-8")
    if extras:
        (week / folder / "settings.yaml").write_text(extras, encoding="utf-8")


@pytest.mark.slow
def test_a_misspelt_kserve_field_fails_the_schema_check(cli: Cli, laid: Laid) -> None:
    week = laid.reset()
    inference_service(week, "deploy", ISVC_API.replace(*TYPO), ISVC_API_EXTRAS)
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {
        **dict.fromkeys(OFFLINE, "passed"),
        "schema": "failed",
        "cluster": "blocked",
    }, checks
    typo = "spec.predictor.maxReplica: not a field of V1beta1PredictorSpec (did you mean "
    assert typo + "maxReplicas?)" in found(checks, "schema")


def plain_files(week: Path) -> None:
    """deploy/ without a kustomization: the same objects, numeric ports, envFrom secretRef."""
    folder = week / "deploy"
    (folder / "kustomization.yaml").unlink()
    edit(
        folder / "deployment.yaml",
        "port: http\n            periodSeconds",
        "port: 8000\n            periodSeconds",
    )
    edit(
        folder / "deployment.yaml",
        "          env:\n            - name: MODEL_REGISTRY_TOKEN\n"
        "              valueFrom:\n                secretKeyRef:\n                  name: "
        "ames-api-secrets\n                  key: MODEL_REGISTRY_TOKEN\n"
        "            - name: JWT_SECRET\n"
        "              valueFrom:\n                secretKeyRef:\n                  name: "
        "ames-api-secrets\n                  key: JWT_SECRET\n",
        "            - secretRef:\n                name: ames-api-secrets\n",
    )
    edit(folder / "service.yaml", "targetPort: http", "targetPort: 8000")


RIGHT: dict[str, Callable[[Path], None]] = {
    "an InferenceService running the API's image": lambda week: inference_service(
        week, "deploy", ISVC_API, ISVC_API_EXTRAS
    ),
    "KServe's runtime on the model, in k8s/": lambda week: inference_service(
        week, "k8s", ISVC_RUNTIME
    ),
    "plain files without kustomize": plain_files,
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(RIGHT), ids=lambda c: re.sub(r"\W+", "-", c).strip("-"))
def test_a_set_written_differently_passes(cli: Cli, laid: Laid, case: str) -> None:
    week = laid.reset()
    RIGHT[case](week)
    checks = judged(cli, week)
    assert outcomes(checks, TITLES) == {**dict.fromkeys(OFFLINE, "passed"), "cluster": "blocked"}
    blocked_cluster(checks)
