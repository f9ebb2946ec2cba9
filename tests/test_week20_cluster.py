"""Week 20's cluster client logic (mlops_checks.cluster) against a loopback HTTP server that
replays Kubernetes API answers (tests/fixtures/week20/api-replay; its README says what they are
and are not: rebuilt from public recordings, not captured by us) and stands in for the
InferenceService's predictor behind an ingress.

The stand-in answers V1 and V2 as KServe's scikit-learn runtime does, with a model the test gives
it (here a fixed linear function; test_week20_cases.py gives it the model train.py saved); it answers 404 to a request whose Host header is not the
service's (an ingress gateway routes by host name). Every request is recorded. The helpers are
shared with test_week20_cases.py, which runs the real check through the CLI on the same server.
"""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import cluster, kserve_manifest
from tests.conftest import FIXTURES, REPO

REPLAY = FIXTURES / "week20" / "api-replay"
NAME, NAMESPACE = "ames-price-numeric", "default"
HOST = "ames-price-numeric-default.example.com"  # status.url's host in isvc-ready.json
ISVC_PATH = f"/apis/serving.kserve.io/v1beta1/namespaces/{NAMESPACE}/inferenceservices/{NAME}"
Predict = Callable[[list[list[float]]], list[float]]


@dataclass
class Scenario:
    """What the server answers: the API's (status, file) per path, and the predictor."""

    api: dict[str, tuple[int, str]]
    predict: Predict
    host: str | None = HOST  # the Host header the predictor wants (None: any)
    echo_id: bool = True
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, host)


def handler(scenario: Scenario) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            scenario.seen.append(("GET", self.path, self.headers.get("Host", "")))
            status, name = scenario.api.get(self.path.split("?")[0], (404, "no-such-resource.txt"))
            kind = "text/plain" if name.endswith(".txt") else "application/json"
            self.answer(status, (REPLAY / name).read_bytes(), kind)

        def do_POST(self) -> None:
            host = self.headers.get("Host", "")
            scenario.seen.append(("POST", self.path, host))
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if scenario.host is not None and host != scenario.host:
                self.answer(404, b"", "text/plain")
            elif self.path == f"/v1/models/{NAME}:predict":
                prices = scenario.predict(body["instances"])
                self.answer(200, json.dumps({"predictions": prices}).encode())
            elif self.path == f"/v2/models/{NAME}/infer":
                prices = scenario.predict(body["inputs"][0]["data"])
                output = {"name": "output-0", "shape": [len(prices)], "datatype": "FP64",
                          "data": prices}  # fmt: skip
                answer_id = body.get("id") if scenario.echo_id else "another-id"
                self.answer(200, json.dumps({"model_name": NAME, "id": answer_id,
                                             "outputs": [output]}).encode())  # fmt: skip
            else:
                self.answer(404, b'{"error": "no such model"}')

    return Handler


@contextmanager
def replaying(scenario: Scenario) -> Iterator[int]:
    """The server on a free loopback port, for the duration: its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(scenario))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def kubeconfig(folder: Path, port: int, namespace: str | None = None) -> Path:
    """A kubeconfig whose current context's cluster is the replay server."""
    context: dict[str, Any] = {"cluster": "replay", "user": "learner"}
    if namespace:
        context["namespace"] = namespace
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "replay", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
        "users": [{"name": "learner", "user": {"token": "replay-token"}}],
        "contexts": [{"name": "kind-kserve", "context": context}],
        "current-context": "kind-kserve",
    }
    path = folder / "kubeconfig"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def api(ready: str = "isvc-ready.json", status: int = 200) -> dict[str, tuple[int, str]]:
    return {ISVC_PATH: (status, ready)}


# -- a stand-in numeric model: a fixed linear function of the eleven numbers ---------------------

NUMERIC = ["area", "lot_area", "overall_qual", "overall_cond", "year_built", "year_remod",
           "total_bsmt_sf", "bedrooms", "full_bath", "garage_cars", "fireplaces"]  # fmt: skip
WEIGHTS = [60.0, 0.5, 18000.0, 5000.0, 400.0, 300.0, 30.0, -4000.0, 2000.0, 9000.0, 6000.0]


@pytest.fixture(scope="module")
def model() -> Predict:
    return lambda rows: [
        sum(w * x for w, x in zip(WEIGHTS, row, strict=True)) - 1.3e6 for row in rows
    ]


@pytest.fixture(scope="module")
def rows() -> list[list[float]]:
    with (REPO / "data" / "ames" / "test.csv").open(encoding="utf-8", newline="") as handle:
        return [[float(r[c]) for c in NUMERIC] for r in list(csv.DictReader(handle))[:25]]


def manifest() -> dict[str, Any]:
    doc, problem = kserve_manifest.load(REPO / "solutions" / "week20" / "inferenceservice.yaml")
    assert doc is not None, problem
    return dict(doc)


def context_of(tmp_path: Path, port: int, namespace: str | None = None) -> cluster.Context:
    found = cluster.current_context(str(kubeconfig(tmp_path, port, namespace)))
    assert found is not None
    return found


INGRESS = {"INGRESS_HOST": "127.0.0.1"}


# -- contexts -------------------------------------------------------------------------------------


def test_no_kubeconfig_or_no_current_context_is_no_cluster(tmp_path: Path) -> None:
    assert cluster.current_context(str(tmp_path / "missing")) is None
    path = kubeconfig(tmp_path, 1)
    config = json.loads(path.read_text())
    config["current-context"] = ""
    path.write_text(json.dumps(config))
    assert cluster.current_context(str(path)) is None


def test_context_namespace_and_server(tmp_path: Path) -> None:
    context = context_of(tmp_path, 6443, namespace="models")
    assert (context.name, context.namespace, context.server) == (
        "kind-kserve", "models", "http://127.0.0.1:6443")  # fmt: skip
    assert context_of(tmp_path, 6443).namespace == "default"


def test_a_cluster_that_does_not_answer_is_unreachable(tmp_path: Path) -> None:
    with replaying(Scenario(api(), lambda r: [])) as port:
        pass  # the port is closed again: nothing listens there now
    context = context_of(tmp_path, port)
    with pytest.raises(cluster.Unreachable, match="does not answer"):
        cluster.read_service(context, NAMESPACE, NAME)


# -- the InferenceService as the API server gives it ----------------------------------------------


def test_ready_service_answers_both_protocols_through_the_ingress(
    tmp_path: Path, model: Predict, rows: list[list[float]]
) -> None:
    scenario = Scenario(api(), model)
    with replaying(scenario) as port:
        found = cluster.read_service(context_of(tmp_path, port), NAMESPACE, NAME)
        assert found.obj is not None and found.missing == ""
        assert cluster.not_ready(found.obj) == []
        assert cluster.drift(found.obj, manifest()) == []
        base, headers = cluster.endpoint(found.obj, {**INGRESS, "INGRESS_PORT": str(port)})
        assert (base, headers) == (f"http://127.0.0.1:{port}", {"Host": HOST})
        assert cluster.ask(NAME, rows, model(rows), base, headers) == []
    assert scenario.seen[0][:2] == ("GET", ISVC_PATH)
    assert [(m, h) for m, _, h in scenario.seen[1:]] == [("POST", HOST), ("POST", HOST)]


def test_status_url_used_as_it_is_without_ingress_host(
    tmp_path: Path, model: Predict, rows: list[list[float]]
) -> None:
    """Right but different: a status.url the machine reaches itself (real DNS, or a tunnel)."""
    scenario = Scenario(api(), model, host=None)
    with replaying(scenario) as port:
        found = cluster.read_service(context_of(tmp_path, port), NAMESPACE, NAME)
        assert found.obj is not None
        found.obj["status"]["url"] = f"http://127.0.0.1:{port}/"
        base, headers = cluster.endpoint(found.obj, {})
        assert (base, headers) == (f"http://127.0.0.1:{port}", {})
        assert cluster.ask(NAME, rows, model(rows), base, headers) == []


def test_not_ready_names_each_condition_with_its_reason(tmp_path: Path) -> None:
    with replaying(Scenario(api("isvc-not-ready.json"), lambda r: [])) as port:
        found = cluster.read_service(context_of(tmp_path, port), NAMESPACE, NAME)
    assert found.obj is not None
    assert cluster.not_ready(found.obj) == [
        "Ready is False (Predictor ingress not created)",
        "PredictorReady is False (MinimumReplicasUnavailable: Deployment does not have minimum "
        "availability.)",
        "IngressReady is False (Predictor ingress not created)",
    ]
    assert cluster.endpoint(found.obj, INGRESS) == ("", {})


def test_status_for_an_older_spec_is_not_ready(tmp_path: Path) -> None:
    with replaying(Scenario(api("isvc-stale.json"), lambda r: [])) as port:
        found = cluster.read_service(context_of(tmp_path, port), NAMESPACE, NAME)
    assert found.obj is not None
    assert cluster.not_ready(found.obj) == [
        "the controller has seen generation 1 of 2: the status is for an older spec"
    ]


@pytest.mark.parametrize(
    ("status", "name", "missing"),
    [
        (404, "isvc-not-found.json", "service"),
        (404, "no-such-resource.txt", "resource"),
        (403, "forbidden.json", "access"),
    ],
)
def test_refusals(tmp_path: Path, status: int, name: str, missing: str) -> None:
    with replaying(Scenario(api(name, status), lambda r: [])) as port:
        found = cluster.read_service(context_of(tmp_path, port), NAMESPACE, NAME)
    assert (found.obj, found.missing) == (None, missing)
    if missing == "access":
        assert found.detail.startswith("403: ") and "is forbidden" in found.detail


def test_spec_on_the_cluster_that_is_not_the_file(tmp_path: Path) -> None:
    with replaying(Scenario(api(), lambda r: [])) as port:
        found = cluster.read_service(context_of(tmp_path, port), NAMESPACE, NAME)
    assert found.obj is not None
    local = manifest()
    local["spec"]["predictor"]["model"]["storageUri"] = "s3://ames/numeric/"
    assert cluster.drift(found.obj, local) == [
        "storageUri: 'pvc://ames-models/ames-numeric' on the cluster, 's3://ames/numeric/' in "
        "the file"
    ]


# -- the predictor's answers ----------------------------------------------------------------------


def test_wrong_prices_a_missing_id_and_no_host_header(
    tmp_path: Path, model: Predict, rows: list[list[float]]
) -> None:
    expected = model(rows)
    with replaying(Scenario(api(), lambda r: [p * 1.1 for p in model(r)])) as port:
        base = f"http://127.0.0.1:{port}"
        problems = cluster.ask(NAME, rows, expected, base, {"Host": HOST})
        assert [p.split(":")[0] for p in problems] == ["V1", "V2"]
        assert "house 1: " in problems[0] and "(the model says " in problems[0]
        no_host = cluster.ask(NAME, rows, expected, base, {})
        assert all(": 404: " in p for p in no_host), no_host
    with replaying(Scenario(api(), model, echo_id=False)) as port:
        problems = cluster.ask(NAME, rows, expected, f"http://127.0.0.1:{port}", {"Host": HOST})
        assert len(problems) == 1 and problems[0].startswith("V2: \"id\" is 'another-id'")


def test_no_answer_at_all(rows: list[list[float]]) -> None:
    with replaying(Scenario(api(), lambda r: [])) as port:
        pass
    problems = cluster.ask(NAME, rows, [0.0] * len(rows), f"http://127.0.0.1:{port}", {})
    assert len(problems) == 2 and all(": no answer: " in p for p in problems)
