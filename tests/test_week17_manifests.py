"""Week 17's file checks, both ways, on small fixtures (tests/fixtures/week17/manifests): the
functions the checks call (mlops_checks.manifests, workloads, config_refs, pod_replay) on the
reference solution, on right submissions written differently (one plain file with numbers for
ports, envFrom secrets and a digest; a base with a prod overlay) and on wrong ones, each
problem pinned with its object and field. The checks around them run through the real CLI in
test_week17_cases.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlops_checks import config_refs, manifests, pod_replay, workloads
from mlops_roadmap import course, procs
from mlops_roadmap.commands import verify
from tests.conftest import FIXTURES

CASES = FIXTURES / "week17" / "manifests"
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not on PATH")


def folder(root: Path, sub: str = ".") -> manifests.Folder:
    return manifests.read_folder(root, root / sub, procs.run, KUBECTL)


def judged(found: manifests.Folder, routes: frozenset[str] = frozenset({"/health"})) -> list[str]:
    problems = list(found.problems) + manifests.validate(found.plain)[0]
    for objects in found.sets:
        problems += manifests.validate(objects.docs)[0] if objects.label.startswith("kust") else []
        problems += workloads.deployment_problems(objects) + workloads.service_problems(objects)
        problems += workloads.probe_problems(objects, set(routes))
        problems += workloads.resource_problems(objects) + workloads.image_problems(objects)
        problems += workloads.security_problems(objects)
        problems += config_refs.unresolved(objects, found.declared)
    return problems


@pytest.fixture(scope="module")
def solution(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The finished week 17 folder, as `course verify` lays it (no virtual environment)."""
    plan = course.load()
    week = plan.plan.week(17)
    ws = verify.workspace.init(tmp_path_factory.mktemp("w17") / "ws")
    target = ws.week_dir(week)
    verify.scaffold.lay(plan, week, ws, target, force=False)
    shutil.copytree(plan.solution(week), target, dirs_exist_ok=True)
    return target


@needs_kubectl
def test_solution_passes(solution: Path) -> None:
    found = folder(solution, "k8s")
    assert found.kustomized == ("k8s",)
    assert judged(found) == []
    files = {p.resolve() for p in solution.rglob("*") if p.is_file()}
    assert config_refs.leaked(found.declared, [solution / "k8s" / "kustomization.yaml"], files,
                              solution) == []  # fmt: skip


def test_right_plain_file_passes() -> None:
    found = folder(CASES / "right-plain")
    assert found.kustomized == () and len(found.sets) == 1
    assert judged(found) == []
    sources = config_refs.env_sources(found.sets[0], found.declared)
    assert sources["JWT_SECRET"] == sources["PSEUDONYM_KEY"] == {"Secret"}
    everything = {p.resolve() for p in (CASES / "right-plain").rglob("*")}
    assert config_refs.leaked(found.declared, [], everything, CASES / "right-plain") == []


@needs_kubectl
def test_right_base_and_overlay_pass() -> None:
    found = folder(CASES / "right-overlays", "k8s")
    assert found.kustomized == ("k8s/overlays/prod",)
    assert [d.name for d in found.sets[0].of("Deployment")] == ["prod-housing-api"]
    assert judged(found) == []


@needs_kubectl
def test_kustomization_naming_a_missing_file() -> None:
    found = folder(CASES / "wrong-kustomize")
    assert len(found.problems) == 1
    assert found.problems[0].startswith("kubectl kustomize . failed: ")
    assert "deployment.yml" in found.problems[0]


def test_wrong_manifests_name_each_problem() -> None:
    root = CASES / "wrong-many"
    found = folder(root)
    objects = found.sets[0]
    assert manifests.validate(found.plain)[0] == [
        "Service typo (config.yaml): spec.ports.0: Additional properties are not allowed "
        "('targetport' was unexpected)"
    ]
    assert workloads.deployment_problems(objects) == [
        "Deployment housing-api (deployment.yaml): spec.replicas is 1, not 2 or more",
        "Deployment housing-api (deployment.yaml): spec.selector {'matchLabels': {'app': "
        "'housing-api'}} does not select the pod template's labels {'app': 'housing'}",
    ]
    assert workloads.image_problems(objects)[0].endswith("image 'housing-api:latest' is not "
        "pinned (a tag like :0.1.0, or @sha256:...; no tag means :latest)")  # fmt: skip
    assert workloads.service_problems(objects)[1] == (
        "Service housing-api (service.yaml): spec.selector {'app': 'housing-api'} selects no "
        "Deployment's pods (their labels: [{'app': 'housing'}]): it would have no endpoints"
    )
    where = "Deployment housing-api, container api: "
    assert workloads.probe_problems(objects, {"/health"}) == [
        where + "readinessProbe asks /healthz, which is not one of the app's GET routes (/health)",
        where + "a livenessProbe without httpGet",
    ]
    assert workloads.resource_problems(objects) == [
        where + "cpu request 500m is above its limit 250m",
        where + "no memory limits",
    ]
    assert workloads.security_problems(objects) == [
        where + "runAsNonRoot is not true (pod or container securityContext)",
        where + "runAsUser is 0 (root)",
        where + "securityContext.allowPrivilegeEscalation is not false",
        where + "securityContext.capabilities.drop does not hold ALL",
        where + "privileged",
    ]
    assert config_refs.unresolved(objects, found.declared) == [
        where + "env PSEUDONYM_KEY: Secret housing-api-secrets has no key 'PSEUDONYM' (it has "
        "['PSEUDONYM_KEY'])"
    ]
    assert config_refs.env_sources(objects, found.declared)["JWT_SECRET"] == {"value"}
    everything = {p.resolve() for p in root.rglob("*")}
    assert config_refs.leaked(found.declared, [], everything, root) == [
        "ConfigMap housing-config (config.yaml): API_TOKEN holds a secret in a ConfigMap: ghp... "
        "(40 characters)",
        "Secret housing-api-secrets (config.yaml): PSEUDONYM_KEY holds a real value: d8f... (32 "
        "characters)",
        "Deployment housing-api (deployment.yaml): env JWT_SECRET is written in the manifest: "
        "k3P... (32 characters)",
    ]
    # The same files, git-ignored (not committed), leak nothing.
    assert config_refs.leaked(found.declared, [], set(), root) == []


def test_not_yaml_and_not_objects() -> None:
    docs, problems = manifests.parse("a: [1, 2\n", "k8s/bad.yaml")
    assert docs == [] and problems[0].startswith("k8s/bad.yaml: line ")
    docs, problems = manifests.parse("kind: Service\n---\n- 1\n", "k8s/two.yaml")
    assert problems == [
        "k8s/two.yaml (document 1): not a Kubernetes object (apiVersion and kind)",
        "k8s/two.yaml (document 2): not a Kubernetes object (apiVersion and kind)",
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [("100m", 0.1), ("0.5", 0.5), ("256Mi", 256 * 2**20), ("1G", 1e9), (2, 2.0), ("lots", None)],
)
def test_quantities(text: object, value: float | None) -> None:
    assert manifests.quantity(text) == value


@pytest.mark.parametrize(
    ("pod", "container", "image_user", "user", "refused"),
    [
        ({"securityContext": {"runAsNonRoot": True}}, {}, "10001:10001", None, []),
        ({"securityContext": {"runAsNonRoot": True}}, {}, "app", None,
         ["container has runAsNonRoot and image has non-numeric user (app), cannot verify user "
          "is non-root"]),
        ({"securityContext": {"runAsNonRoot": True}}, {}, "", None,
         ["container has runAsNonRoot and image will run as root (the image has no USER, or "
          "USER root, and the manifest sets no runAsUser)"]),
        ({"securityContext": {"runAsNonRoot": True, "runAsUser": 2000}}, {}, "app", "2000", []),
        ({"securityContext": {"runAsUser": 2000, "runAsGroup": 3000}},
         {"securityContext": {"runAsUser": 4000}}, "", "4000:3000", []),
    ],
)  # fmt: skip
def test_the_kubelets_user_rule(
    pod: dict[str, object], container: dict[str, object], image_user: str, user: str | None,
    refused: list[str],
) -> None:  # fmt: skip
    assert pod_replay.user_option(pod, container, image_user) == (user, refused)


def test_replayed_settings_of_the_right_plain_file(tmp_path: Path) -> None:
    found = folder(CASES / "right-plain")
    doc = found.sets[0].of("Deployment")[0]
    pod, container = workloads.pod_spec(doc), workloads.containers(doc)[0]
    made = pod_replay.settings(pod, container, list(found.declared), "", lambda: 41234, tmp_path)
    assert made.refused == []
    assert made.env["MODEL_PATH"] == "/app/models/linear.joblib"
    assert len(made.env["JWT_SECRET"]) == 48 and made.env["JWT_SECRET"] != "${JWT_SECRET}"
    assert made.made == {"api-secrets/JWT_SECRET": made.env["JWT_SECRET"],
                         "api-secrets/PSEUDONYM_KEY": made.env["PSEUDONYM_KEY"]}  # fmt: skip
    options = made.options
    assert (options["user"], options["mem_limit"], options["nano_cpus"]) == ("2000", 2**30, 10**9)
    assert options["cap_drop"] == ["ALL"] and options["security_opt"] == ["no-new-privileges"]
    assert options["ports"] == {"8000/tcp": ("127.0.0.1", 41234)}
    assert pod_replay.liveness_budget(container) is None  # the startup probe holds it off


def test_liveness_budget_of_the_solution(solution: Path) -> None:
    doc, _ = manifests.parse((solution / "k8s" / "deployment.yaml").read_text(), "d")
    assert pod_replay.liveness_budget(workloads.containers(doc[0])[0]) == 60.0
