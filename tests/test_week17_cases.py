"""Week 17's checks judged both ways through the real CLI, on week folders made as `course
verify` makes them. The file checks run without an engine on the cases of
tests/fixtures/week17/manifests (their functions are pinned problem by problem in
test_week17_manifests.py): right manifests written differently from the lesson pass, wrong ones
fail each check for their own reason. The pod is replayed on a real Docker engine (slow: the
image builds from a clean copy each time) with manifests the lesson's words make wrong: a memory
limit the app cannot start in, a command that listens on the pod's loopback only, a readiness
probe on a path the app does not route. The cluster check has its own file
(test_week17_cluster.py).
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, REPO, Cli, docker_ready
from tests.test_week09_api import edit, make_week, tagged_processes, tree_hashes
from tests.timing import ready_wait, wait_until

MANIFESTS = FIXTURES / "week17" / "manifests"
STATIC = "week17_1 or week17_2"  # the file checks: no engine, no cluster
POD = "test_pod_gets_ready"
NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
# A pod that never gets ready is failed after this wait, not a learner's 180 s: long enough for
# the container's uvicorn to start and answer (its output and its last status are in the message).
WAIT = ready_wait(60)
needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="no kubectl on PATH")


def run_checks(
    cli: Cli, week: Path, select: str, env: dict[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """`check --json -k select` in the week folder, without a kubeconfig: the checks by their
    function's name; none is an error verdict, and nothing they started is left running."""
    tag = uuid.uuid4().hex
    environ = {"MLOPS_TEST_TAG": tag, "KUBECONFIG": str(week / "no-kubeconfig"), **(env or {})}
    result = cli(
        "--course", REPO, "check", "--json", "-k", select, cwd=week, timeout=900, env=environ
    )
    assert "Traceback" not in result.stderr, result.stderr
    data = json.loads(result.stdout)
    assert data["counts"]["error"] == 0, data
    wait_until(lambda: tagged_processes(tag) == [], 30, "left running")
    return {c["id"].rpartition("::")[2]: c for c in data["checks"]}


def outcomes(checks: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {name: c["outcome"] for name, c in checks.items()}


def with_manifests(tmp_path: Path, case: str) -> Path:
    """The finished week folder with k8s/ replaced by a case's files."""
    week = make_week(tmp_path, 17, solved=True)
    shutil.rmtree(week / "k8s")
    source = MANIFESTS / case
    shutil.copytree(source / "k8s" if (source / "k8s").is_dir() else source, week / "k8s")
    return week


STATIC_CHECKS = {
    "test_manifests_parse", "test_kustomize_renders", "test_schema_valid", "test_deployment",
    "test_service", "test_probes", "test_resources", "test_security_context",
    "test_config_and_secret_references", "test_no_secret_values",
}  # fmt: skip


# -- the file checks ----------------------------------------------------------------------------


@needs_kubectl
def test_base_with_a_prod_overlay_passes_every_file_check(cli: Cli, tmp_path: Path) -> None:
    """Right but different: a base and an overlay (name prefix, replicas patched), no engine."""
    week = with_manifests(tmp_path, "right-overlays")
    before = tree_hashes(week)
    checks = run_checks(cli, week, STATIC, NO_ENGINE)
    assert outcomes(checks) == dict.fromkeys(STATIC_CHECKS, "passed"), checks
    assert tree_hashes(week) == before


@pytest.mark.slow
def test_one_plain_file_with_numbers_and_env_from_passes(cli: Cli, tmp_path: Path) -> None:
    """Right but different: one file, numeric ports, envFrom a Secret, an image by digest."""
    checks = run_checks(cli, with_manifests(tmp_path, "right-plain"), STATIC, NO_ENGINE)
    assert outcomes(checks) == dict.fromkeys(STATIC_CHECKS, "passed"), checks


@pytest.mark.slow
def test_wrong_manifests_fail_each_file_check_for_their_own_reason(
    cli: Cli, tmp_path: Path
) -> None:
    checks = run_checks(cli, with_manifests(tmp_path, "wrong-many"), STATIC, NO_ENGINE)
    assert outcomes(checks) == {
        **dict.fromkeys(STATIC_CHECKS, "failed"),
        "test_manifests_parse": "passed",
        "test_kustomize_renders": "passed",  # nothing to render
    }, checks
    found = {name: c["found"] for name, c in checks.items()}
    assert "'targetport' was unexpected" in found["test_schema_valid"]
    assert "spec.replicas is 1, not 2 or more" in found["test_deployment"]
    assert "selects no Deployment's pods" in found["test_service"]
    assert "readinessProbe asks /healthz" in found["test_probes"]
    assert "no memory limits" in found["test_resources"]
    assert "runAsUser is 0 (root)" in found["test_security_context"]
    assert "has no key 'PSEUDONYM'" in found["test_config_and_secret_references"]
    assert "API_TOKEN holds a secret in a ConfigMap" in found["test_no_secret_values"]
    assert all(checks[name]["hint"] for name in STATIC_CHECKS - {"test_manifests_parse",
                                                                 "test_kustomize_renders"})  # fmt: skip


@pytest.mark.slow
@needs_kubectl
def test_a_kustomization_naming_a_missing_file_fails_to_render(cli: Cli, tmp_path: Path) -> None:
    checks = run_checks(cli, with_manifests(tmp_path, "wrong-kustomize"), STATIC, NO_ENGINE)
    render = checks["test_kustomize_renders"]
    assert render["outcome"] == "failed" and "deployment.yml" in render["found"], render
    # What could not be rendered is not judged as if it were the whole set.
    assert {checks[n]["outcome"] for n in ("test_deployment", "test_service")} <= {
        "failed", "blocked"}  # fmt: skip


def test_manifests_that_are_not_yaml_are_a_failed_check(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, 17, solved=True)
    (week / "k8s" / "deployment.yaml").write_text("kind: Deployment\n  spec: [1, 2\n")
    checks = run_checks(cli, week, "test_manifests_parse", NO_ENGINE)
    parse = checks["test_manifests_parse"]
    assert parse["outcome"] == "failed" and "deployment.yaml" in parse["found"], parse
    assert "line" in parse["found"] and parse["hint"]


# -- the pod, replayed on a real engine ---------------------------------------------------------


@pytest.fixture
def engine_week(tmp_path: Path) -> Path:
    docker_ready()
    return make_week(tmp_path, 17, solved=True)


def deployment(week: Path) -> Path:
    return week / "k8s" / "deployment.yaml"


@pytest.mark.slow
def test_a_memory_limit_the_app_cannot_start_in(cli: Cli, engine_week: Path) -> None:
    edit(deployment(engine_week), "memory: 512Mi", "memory: 24Mi")
    edit(deployment(engine_week), "memory: 256Mi", "memory: 24Mi")
    ready = run_checks(cli, engine_week, POD)[POD]
    assert ready["outcome"] == "failed", ready
    assert "OOMKilled" in ready["found"] or "exit status 137" in ready["found"], ready


@pytest.mark.slow
def test_a_command_that_listens_on_the_pods_loopback(cli: Cli, engine_week: Path) -> None:
    edit(
        deployment(engine_week),
        "          imagePullPolicy: IfNotPresent\n",
        "          imagePullPolicy: IfNotPresent\n"
        '          command: ["uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", '
        '"8000"]\n',
    )
    ready = run_checks(cli, engine_week, POD, WAIT)[POD]
    assert ready["outcome"] == "failed", ready
    assert f"did not answer 2xx or 3xx within {WAIT['MLOPS_ROADMAP_READY_WAIT']} s" in ready[
        "found"], ready  # fmt: skip
    assert "Uvicorn running on http://127.0.0.1:8000" in ready["found"], ready


@pytest.mark.slow
def test_a_readiness_probe_on_a_path_the_app_does_not_route(cli: Cli, engine_week: Path) -> None:
    text = deployment(engine_week).read_text()
    deployment(engine_week).write_text(text.replace("path: /health", "path: /ready", 1))
    checks = run_checks(cli, engine_week, "test_pod_gets_ready or test_probes", WAIT)
    assert checks["test_probes"]["outcome"] == "failed"
    assert "readinessProbe asks /ready" in checks["test_probes"]["found"]
    ready = checks[POD]
    assert ready["outcome"] == "failed", ready
    assert "GET /ready did not answer 2xx or 3xx" in ready["found"] and "(last: 404)" in ready[
        "found"], ready  # fmt: skip


@needs_kubectl
def test_a_bases_secret_generator_literal_is_a_committed_secret(cli: Cli, tmp_path: Path) -> None:
    """The overlay is what renders, but the base's kustomization is committed too."""
    week = with_manifests(tmp_path, "right-overlays")
    base = week / "k8s" / "base" / "kustomization.yaml"
    base.write_text(
        base.read_text() + "secretGenerator:\n  - name: housing-api-extra\n    literals:\n"
        "      - JWT_SECRET=Zq8vN2rT5wX1yB4kL7mP0sD3fG6hJ9aC\n"
    )
    check = run_checks(cli, week, "test_no_secret_values", NO_ENGINE)["test_no_secret_values"]
    assert check["outcome"] == "failed", check
    assert "k8s/base/kustomization.yaml: secretGenerator JWT_SECRET holds a" in check["found"]
