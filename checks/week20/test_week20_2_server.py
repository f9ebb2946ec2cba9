"""Week 20: the learner's model_server.py, a real KServe ModelServer, answers both protocols with
the predictions their own saved model gives, refuses malformed requests with a 4xx, and the
week's request files are what the model takes.

The server is started once (the `started` fixture) as `python model_server.py --model_path
models/linear.joblib --http_port PORT` with the learner's interpreter, on loopback only. The
houses are the 380 held-out sales (features only); the expected prices come from the learner's
saved model, loaded in their interpreter.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from conftest import Note, RequestFiles, require_trained

from mlops_checks import api, kserve_probe
from mlops_checks.kserve_protocol import (
    House,
    mismatches,
    v1_body,
    v1_predictions,
    v2_body,
    v2_predictions,
)
from mlops_checks.kserve_requests import RequestFile
from mlops_roadmap.checking import expect, expect_none, fail

NAME = kserve_probe.MODEL_NAME
V1 = f"/v1/models/{NAME}:predict"
V2 = f"/v2/models/{NAME}/infer"
# Room for training (240 s at most), KServe's start (180 s) and the probe.
pytestmark = pytest.mark.timeout(600)
START_HINT = (
    "From the week folder: `python train.py`, then `python model_server.py --model_path "
    "models/linear.joblib --http_port 8080`, and fix the first error it prints. The script must "
    "accept --model_path and --http_port and call ModelServer(http_port=...).start([model]) "
    'under `if __name__ == "__main__":`.'
)


def expected_prices(facts: kserve_probe.ModelFacts, rows: str) -> list[float]:
    got = facts.full_predictions(rows)
    if isinstance(got, str):
        fail(
            expected=f"{kserve_probe.MODEL} to load with joblib and predict from a DataFrame of "
            "the 13 feature columns",
            found=got,
            hint="Keep train.py saving the whole fitted Pipeline with joblib.dump.",
        )
    return got


@pytest.mark.points(2)
def test_server_ready(
    trained: kserve_probe.Trained,
    started: kserve_probe.Started,
    record_property: Note,
    request: pytest.FixtureRequest,
) -> None:
    """model_server.py starts a KServe ModelServer that reports ames-price ready"""
    require_trained(trained)
    if started.server is None:
        fail(
            expected=f"`python model_server.py --model_path {kserve_probe.MODEL} --http_port "
            f"PORT` to start KServe's ModelServer and answer GET / within "
            f"{kserve_probe.START_TIMEOUT:g} s",
            found=started.problem,
            hint=START_HINT,
        )
    record_property("ready_seconds", started.ready_seconds)
    http: api.Http = request.getfixturevalue("http")
    v1 = http.get(f"/v1/models/{NAME}")
    ready = api.error_answer(v1.text)[0] and v1.json().get("ready") is True
    if v1.status_code == 404:
        listed = http.get("/v1/models").text
        fail(
            expected=f"GET /v1/models/{NAME} to answer 200: a model named {NAME}",
            found=f"404; GET /v1/models lists {api.quote(listed)}",
            hint=f'Name the model "{NAME}": AmesPrice("{NAME}", ...) (--model_name\'s default).',
        )
    expect(
        v1.status_code == 200 and ready,
        expected=f'GET /v1/models/{NAME} to answer 200 with "ready": true',
        found=f"status {v1.status_code}: {api.quote(v1.text)}",
        hint="Set self.ready = True at the end of load(), once the pipeline is loaded.",
    )
    v2 = http.get(f"/v2/models/{NAME}/ready")
    expect(
        v2.status_code == 200,
        expected=f"GET /v2/models/{NAME}/ready to answer 200",
        found=f"status {v2.status_code}: {api.quote(v2.text)}",
        hint="KServe answers it for every model it serves: keep ModelServer.start([model]).",
    )


@pytest.mark.points(2)
def test_v1_predictions(
    http: api.Http, houses: list[House], facts: kserve_probe.ModelFacts
) -> None:
    """POST /v1/models/ames-price:predict answers the model's own prices"""
    expected = expected_prices(facts, "houses")
    answer = http.post(V1, json=v1_body(houses))
    sent = f'POST {V1} with {{"instances": [...{len(houses)} houses...]}}'
    expect(
        answer.status_code == 200,
        expected=f"{sent} to answer 200",
        found=f"status {answer.status_code}: {api.quote(answer.text)}",
        hint="Send the lesson's V1 request with curl and read the traceback in the server's "
        "output.",
    )
    got, problem = v1_predictions(answer.text, len(houses))
    expect(
        got is not None,
        expected=f'{sent} to answer {{"predictions": [...]}}: {len(houses)} numbers, one per '
        "house in the order sent",
        found=f"{problem}: {api.quote(answer.text)}",
        hint='Return {"predictions": prices.tolist()}.',
    )
    assert got is not None
    expect_none(
        api.listed(mismatches(got, expected), 4),
        expected=f"the prices {kserve_probe.MODEL} itself predicts for the same houses",
        hint="Build the DataFrame from the instances with the columns in training order "
        "(frame[COLUMNS]) and return pipeline.predict(frame) unchanged.",
    )


@pytest.mark.points(2)
def test_v2_predictions(
    http: api.Http, houses: list[House], facts: kserve_probe.ModelFacts
) -> None:
    """POST /v2/models/ames-price/infer answers one output with the model's own prices"""
    expected = expected_prices(facts, "houses")
    request_id = f"week20-{uuid.uuid4().hex[:8]}"
    answer = http.post(V2, json=v2_body(houses, request_id))
    sent = (f'POST {V2} with {{"id": "{request_id}", "inputs": [one tensor per feature, '
            f"{len(houses)} values each]}}")  # fmt: skip
    expect(
        answer.status_code == 200,
        expected=f"{sent} to answer 200",
        found=f"status {answer.status_code}: {api.quote(answer.text)}",
        hint="Finish the V2 branch of predict() as the lesson shows, then send "
        "v2-request.json with curl and read the server's output.",
    )
    got, problem = v2_predictions(answer.text, len(houses), request_id)
    expect(
        got is not None,
        expected=f"{sent} to answer one FP64 output of {len(houses)} numbers, one per house, "
        'and the request\'s "id"',
        found=f"{problem}: {api.quote(answer.text)}",
        hint="Return InferResponse(model_name=self.name, infer_outputs=[out], "
        "response_id=payload.id or str(uuid.uuid4())) with out an InferOutput of shape "
        "[len(prices)] and datatype FP64.",
    )
    assert got is not None
    expect_none(
        api.listed(mismatches(got, expected), 4),
        expected=f"the prices {kserve_probe.MODEL} itself predicts for the same houses",
        hint="Make one column per input tensor (tensor.name: tensor.as_numpy()), decode BYTES "
        "to str, order the columns as in training and predict.",
    )


def malformed(house: House) -> list[tuple[str, str, Any]]:
    """(what is wrong, path, body): each a request a client gets wrong."""
    no_area = {k: v for k, v in house.items() if k != "area"}
    one = v2_body([house], "malformed")
    short = v2_body([house], "malformed")
    short["inputs"][0] = {**short["inputs"][0], "shape": [2], "data": [1656, 896]}
    return [
        ("V1: a house without area", V1, v1_body([no_area])),
        ('V1: area "big"', V1, v1_body([{**house, "area": "big"}])),
        ("V1: a list of numbers where a house object belongs", V1,
         {"instances": [list(house.values())]}),
        ('V1: {"rows": [...]} instead of "instances"', V1, {"rows": [house]}),
        ('V1: "instances" a string', V1, {"instances": "houses"}),
        ("V2: no tensor for neighborhood", V2,
         {**one, "inputs": [t for t in one["inputs"] if t["name"] != "neighborhood"]}),
        ("V2: area with 2 values, the other tensors 1", V2, short),
        ('V2: area "big" as BYTES', V2, {**one, "inputs": [
            {"name": "area", "shape": [1], "datatype": "BYTES", "data": ["big"]},
            *one["inputs"][1:]]}),
    ]  # fmt: skip


@pytest.mark.points(2)
def test_malformed_requests(http: api.Http, houses: list[House]) -> None:
    """Malformed requests get a 4xx answer, not a server error"""
    problems = []
    for what, path, body in malformed(houses[0]):
        answer = http.post(path, json=body)
        if not 400 <= answer.status_code < 500:
            problems.append(f"{what}: status {answer.status_code} {api.quote(answer.text, 120)}")
    broken = http.post(V1, content=b'{"instances": [{"area": 16', headers={
        "Content-Type": "application/json"})  # fmt: skip
    if not 400 <= broken.status_code < 500:
        problems.append(f"V1: truncated JSON: status {broken.status_code}")
    expect_none(
        problems,
        expected="each malformed request to answer 4xx (a client error), never 5xx and never a "
        "price",
        hint="Check the request before predicting: every column present, numbers where "
        "numbers belong, one value per house; raise kserve.errors.InvalidInput (a 400) with "
        "what is wrong, and log it.",
    )


def file_answer(http: api.Http, file: RequestFile, path: str, expected: list[float]) -> str:
    """What is wrong with the server's answer to the file's own request ("" when right)."""
    answer = http.post(path, json=file.body)
    if answer.status_code != 200:
        return f"{file.name}: POST {path} answered {answer.status_code} {api.quote(answer.text)}"
    request_id = file.body.get("id") if isinstance(file.body, dict) else None
    if path == V1:
        got, problem = v1_predictions(answer.text, len(expected))
    else:
        got, problem = v2_predictions(answer.text, len(expected), request_id)
    if got is None:
        return f"{file.name}: {problem}"
    wrong = mismatches(got, expected)
    return f"{file.name}: {'; '.join(wrong[:2])}" if wrong else ""


@pytest.mark.points(1)
def test_request_files(
    request_files: RequestFiles, facts: kserve_probe.ModelFacts, request: pytest.FixtureRequest
) -> None:
    """v1-request.json and v2-request.json hold the model's columns and get its prices"""
    files = (request_files.v1, request_files.v2)
    expect_none(
        [f"{f.name}: {p}" for f in files for p in f.problems],
        expected='v1-request.json as {"instances": [one object per house with the 13 '
        'feature columns]} and v2-request.json as {"inputs": [one tensor per feature column: '
        "name, shape [houses], datatype FP64 or INT64 for numbers and BYTES for text, data]}",
        hint="Start from the scaffold's v2-request.json, and write v1-request.json with the "
        "same houses as objects; the checks send both to your server.",
    )
    http: api.Http = request.getfixturevalue("http")
    problems = [
        file_answer(http, f, path, expected_prices(facts, rows))
        for f, path, rows in ((files[0], V1, "v1"), (files[1], V2, "v2"))
    ]
    expect_none(
        [p for p in problems if p],
        expected="each file, sent as it is, to get the prices the model predicts for its houses",
        hint="Send them yourself: curl -H 'Content-Type: application/json' -d @v1-request.json "
        f"localhost:8080{V1}",
    )
