"""Week 17's cluster client (mlops_checks.kube_live) and its check, against a loopback HTTP
server that replays Kubernetes API answers (tests/fixtures/week17/api-replay; its README says
what they are and are not: written in the API's shapes, not captured from a cluster by us).

The server keeps a little state, as a cluster would: after a pod is DELETEd, the pod list moves
through the replay files a scenario names (the old pod terminating and a new one starting, then
the new one ready), so `replace_a_pod` is tried against the sequence it waits through. Every
request is recorded with its method, path and Authorization header. The last tests run the
week's real cluster check through the CLI with a kubeconfig pointing at the server (the failing
and blocked cases are slow).
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from mlops_checks import cluster, kube_live
from tests.conftest import FIXTURES, REPO, Cli
from tests.test_week09_api import make_week
from tests.test_week20_cluster import kubeconfig

REPLAY = FIXTURES / "week17" / "api-replay"
NS = "default"
DEPLOYMENT = f"/apis/apps/v1/namespaces/{NS}/deployments/housing-api"
ENDPOINTS = f"/api/v1/namespaces/{NS}/endpoints/housing-api"
PODS = f"/api/v1/namespaces/{NS}/pods"
VICTIM = "housing-api-7d9c8b6f5d-4xk2p"
PROXY = f"/api/v1/namespaces/{NS}/services/housing-api:80/proxy/health"
SELECTOR = "app.kubernetes.io/name=housing-api"
CLUSTER_CHECK = "On your cluster the rollout is complete, a deleted pod comes back and the Service "
"answers"


@dataclass
class Cluster:
    """What the replay server answers: (status, file) per path, and the pod lists in turn
    after a DELETE (the last one stays)."""

    get: dict[str, tuple[int, str]]
    after_delete: list[str] = field(default_factory=lambda: ["pods-replacing.json",
                                                             "pods-replaced.json"])  # fmt: skip
    delete: tuple[int, str] = (200, "pod-deleted.json")
    deleted: bool = False
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, auth

    def pods(self) -> str:
        if not self.deleted:
            return "pods-two-ready.json"
        return self.after_delete.pop(0) if len(self.after_delete) > 1 else self.after_delete[0]


def healthy() -> dict[str, tuple[int, str]]:
    return {
        DEPLOYMENT: (200, "deployment-rolled-out.json"),
        ENDPOINTS: (200, "endpoints-ready.json"),
        PODS: (200, ""),  # from the pod sequence
        PROXY: (200, "health-ok.json"),
    }


def handler(state: Cluster) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def answer(self, status: int, name: str) -> None:
            body = (REPLAY / name).read_bytes() if name else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def note(self, method: str) -> str:
            path = unquote(self.path)  # the selector as written, not percent-encoded
            state.seen.append((method, path, self.headers.get("Authorization", "")))
            return path.split("?")[0]

        def do_GET(self) -> None:
            path = self.note("GET")
            status, name = state.get.get(path, (404, "deployment-not-found.json"))
            self.answer(status, state.pods() if path == PODS and status == 200 else name)

        def do_DELETE(self) -> None:
            path = self.note("DELETE")
            if path == f"{PODS}/{VICTIM}":
                state.deleted = state.delete[0] == 200
                self.answer(*state.delete)
            else:
                self.answer(404, "deployment-not-found.json")

    return Handler


@contextmanager
def replaying(state: Cluster) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def context_of(tmp_path: Path, port: int) -> cluster.Context:
    found = cluster.current_context(str(kubeconfig(tmp_path, port)))
    assert found is not None
    return found


def replayed(name: str) -> dict[str, Any]:
    loaded = json.loads((REPLAY / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


# -- the rollout --------------------------------------------------------------------------------


def test_a_finished_rollout_has_no_problems(tmp_path: Path) -> None:
    state = Cluster(healthy())
    with replaying(state) as port:
        live, why = kube_live.get_json(context_of(tmp_path, port), DEPLOYMENT)
    assert why == "" and live is not None
    assert kube_live.rollout_problems(live) == []
    assert kube_live.selector_query(live) == SELECTOR
    assert state.seen == [("GET", DEPLOYMENT, "Bearer replay-token")]  # the context's own token


def test_a_stuck_rollout_names_what_kubectl_would_wait_for() -> None:
    assert kube_live.rollout_problems(replayed("deployment-stuck.json")) == [
        "the controller has not seen generation 3 yet",
        "updatedReplicas 1 of 2",
        "readyReplicas 1 of 2",
        "availableReplicas 1 of 2",
        "2 old replicas are pending termination",
        'rollout stuck: ReplicaSet "housing-api-5f6d7c8b9a" has timed out progressing.',
    ]


def test_a_deployment_not_applied_is_named_with_the_api_servers_words(tmp_path: Path) -> None:
    with replaying(Cluster({})) as port:
        live, why = kube_live.get_json(context_of(tmp_path, port), DEPLOYMENT)
    assert live is None
    assert why.startswith(f"GET {DEPLOYMENT}: 404: ")
    assert 'deployments.apps \\"housing-api\\" not found' in why or "not found" in why


def test_endpoints_count_only_ready_addresses() -> None:
    assert kube_live.ready_addresses(replayed("endpoints-ready.json")) == [
        "10.244.0.12",
        "10.244.0.13",
    ]
    assert kube_live.ready_addresses(replayed("endpoints-not-ready.json")) == []
    assert kube_live.ready_addresses({}) == []


def test_a_terminating_pod_is_not_ready() -> None:
    pods = replayed("pods-replacing.json")["items"]
    assert [kube_live.pod_ready(p) for p in pods] == [False, True, False]


# -- a deleted pod comes back -------------------------------------------------------------------


def test_a_deleted_pod_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kube_live, "POLL", 0.05)
    state = Cluster(healthy())
    live = replayed("deployment-rolled-out.json")
    with replaying(state) as port:
        problem, seconds = kube_live.replace_a_pod(context_of(tmp_path, port), NS, live, 10)
    assert (problem, seconds < 10) == ("", True)
    methods = [(m, p) for m, p, _ in state.seen]
    assert methods[1] == ("DELETE", f"{PODS}/{VICTIM}")  # the first ready pod, by name
    # Listed by the Deployment's selector; waited through the terminating one until the new
    # pod was ready (one list before, two after).
    assert [p for m, p in methods if m == "GET"] == [f"{PODS}?labelSelector={SELECTOR}"] * 3


def test_a_pod_that_never_comes_back_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kube_live, "POLL", 0.05)
    state = Cluster(healthy(), after_delete=["pods-replacing.json"])
    with replaying(state) as port:
        problem, seconds = kube_live.replace_a_pod(
            context_of(tmp_path, port), NS, replayed("deployment-rolled-out.json"), 0.5
        )
    assert seconds >= 0.5
    assert problem == (
        f"after deleting pod {VICTIM}, 1 of 2 pods ready within 0 s "
        "(ready: housing-api-7d9c8b6f5d-9wq7m)"
    )


def test_a_refused_delete_is_named(tmp_path: Path) -> None:
    state = Cluster(healthy(), delete=(403, "delete-forbidden.json"))
    with replaying(state) as port:
        problem, _ = kube_live.replace_a_pod(
            context_of(tmp_path, port), NS, replayed("deployment-rolled-out.json"), 5
        )
    assert problem.startswith(f"DELETE pod {VICTIM}: 403: ")
    assert "cannot delete resource" in problem


def test_no_ready_pod_to_delete(tmp_path: Path) -> None:
    state = Cluster({**healthy(), PODS: (200, "")}, after_delete=[])
    state.get[PODS] = (404, "deployment-not-found.json")  # the list itself refused
    with replaying(state) as port:
        problem, _ = kube_live.replace_a_pod(
            context_of(tmp_path, port), NS, replayed("deployment-rolled-out.json"), 5
        )
    assert problem == f"no ready pod matches {SELECTOR}"
    assert all(m == "GET" for m, _, _ in state.seen)  # nothing deleted


# -- the Service through the API server's proxy -------------------------------------------------


def test_the_service_proxy_path_and_its_answers(tmp_path: Path) -> None:
    state = Cluster(healthy())
    with replaying(state) as port:
        context = context_of(tmp_path, port)
        ok = kube_live.through_service(context, NS, "housing-api", 80, "/health")
        state.get[PROXY] = (503, "proxy-no-endpoints.json")
        down = kube_live.through_service(context, NS, "housing-api", 80, "health")
    assert (ok.status, json.loads(ok.body)) == (200, {"status": "ok"})
    assert down.status == 503 and "no endpoints available" in down.body
    assert [p for _, p, _ in state.seen] == [PROXY, PROXY]


def test_a_cluster_that_does_not_answer_is_unreachable(tmp_path: Path) -> None:
    with replaying(Cluster({})) as port:
        pass  # closed again: nothing listens there now
    with pytest.raises(cluster.Unreachable, match="does not answer"):
        kube_live.get_json(context_of(tmp_path, port), DEPLOYMENT)


# -- the week's check through the CLI, against the replay server ---------------------------------


def cluster_check(cli: Cli, week: Path, port: int) -> dict[str, Any]:
    config = kubeconfig(week.parent, port)
    result = cli(
        "--course", REPO, "check", "--json", "-k", "on_the_cluster",
        cwd=week, timeout=300, env={"KUBECONFIG": str(config)},
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    checks = json.loads(result.stdout)["checks"]
    assert len(checks) == 1
    found: dict[str, Any] = checks[0]
    return found


@pytest.fixture(scope="module")
def week17(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("kubectl") is None:  # the solution's k8s/ is a kustomization
        pytest.skip("kubectl renders week 17's kustomization; scripts/setup.sh installs it")
    return make_week(tmp_path_factory.mktemp("week17"), 17, solved=True)


def test_the_check_passes_on_a_cluster_that_has_it_all(cli: Cli, week17: Path) -> None:
    state = Cluster(healthy())
    with replaying(state) as port:
        check = cluster_check(cli, week17, port)
    assert check["outcome"] == "passed", check
    assert ("DELETE", f"{PODS}/{VICTIM}") in [(m, p) for m, p, _ in state.seen]
    assert state.seen[-1][1] == PROXY


@pytest.mark.slow  # a CLI run each (6-10 s)
@pytest.mark.parametrize(
    ("change", "expected", "found"),
    [
        (
            {DEPLOYMENT: (200, "deployment-stuck.json")},
            "rolled out",
            "readyReplicas 1 of 2",
        ),
        ({DEPLOYMENT: (404, "deployment-not-found.json")}, "housing-api on cluster", "404"),
        ({ENDPOINTS: (200, "endpoints-not-ready.json")}, "a ready endpoint per replica", "0: []"),
        ({PROXY: (503, "proxy-no-endpoints.json")}, "to answer GET /health", "status 503"),
    ],
    ids=["stuck-rollout", "not-applied", "no-ready-endpoints", "service-does-not-answer"],
)
def test_the_check_fails_on_what_the_cluster_lacks(
    cli: Cli, week17: Path, change: dict[str, tuple[int, str]], expected: str, found: str
) -> None:
    with replaying(Cluster({**healthy(), **change})) as port:
        check = cluster_check(cli, week17, port)
    assert check["outcome"] == "failed", check
    assert expected in check["expected"] and found in check["found"], check
    assert check["hint"]


@pytest.mark.slow
def test_the_check_is_blocked_when_the_cluster_is_down(cli: Cli, week17: Path) -> None:
    with replaying(Cluster({})) as port:
        pass
    check = cluster_check(cli, week17, port)
    assert check["outcome"] == "blocked", check
    assert "does not answer" in check["found"] and "kind-control-plane" in check["hint"]
