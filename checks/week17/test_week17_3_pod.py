"""Week 17: the pod, replayed for real with a Docker engine.

The week folder's Dockerfile is built from a clean copy; the image then runs with what the
Deployment gives its first container (command, args, environment from the ConfigMap and the
Secret, user, read-only root, capabilities, CPU and memory limits, ports; see
``mlops_checks.pod_replay``), and is polled on the manifest's own readiness probe. A probe on
the wrong path or port, a user the kubelet would refuse, a missing secret, a memory limit the
model does not fit in: each shows here as it would on a cluster. Without an engine these checks
are blocked and the others still run.
"""

from __future__ import annotations

import json
import math
import time

import pytest
from conftest import Note, Replay

from mlops_checks import docker_engine, workloads
from mlops_checks.docker_engine import http
from mlops_checks.kserve_protocol import REL_TOL, House
from mlops_roadmap import tokens
from mlops_roadmap.checking import blocked, expect, fail

pytestmark = [pytest.mark.timeout(900), pytest.mark.requires("docker")]
READY_TITLE = "The pod, run as the Deployment says, gets ready on its own readiness probe"
MARKER = "PREDICTIONS-JSON:"
PROBE = """
import json, os, sys
try:
    import joblib, pandas as pd
    model = joblib.load(os.environ.get("MODEL_PATH", "models/linear.joblib"))
    answer = [float(p) for p in model.predict(pd.DataFrame(json.loads(sys.argv[1])))]
except Exception as exc:
    answer = type(exc).__name__ + ": " + str(exc)
print(sys.argv[2] + json.dumps(answer))
"""


@pytest.mark.points(1)
def test_image_builds(built: docker_engine.Build, record_property: Note) -> None:
    """The Dockerfile builds the API image from a clean copy"""
    if built.image is None:
        fail(
            expected="`docker build .` in a clean copy of the week folder to succeed",
            found=f"{built.error}\n{built.log}".strip()[-1500:],
            hint="Build it yourself (`docker build -t housing-api:0.1.0 .`); the base image "
            "comes from scripts/base-image.sh (week 4), and train.py runs inside the build.",
        )
    record_property("build", f"{built.seconds:.0f} s")


def ready(replay: Replay) -> Replay:
    if replay.ready_after is None:
        blocked("the pod never got ready", hint=f"Make the check '{READY_TITLE}' pass first.")
    return replay


@pytest.mark.points(3)
def test_pod_gets_ready(replay: Replay, record_property: Note) -> None:
    """The pod, run as the Deployment says, gets ready on its own readiness probe"""
    expect(
        replay.ready_after is not None,
        expected="the container, run with the Deployment's command, environment, user, "
        "securityContext, limits and ports, to answer its readinessProbe with 2xx or 3xx",
        found=replay.problem,
        hint="Run it as the pod would: `docker run --user 10001 --read-only --memory 512m "
        "--cpus 0.5 -e JWT_SECRET=... -e PSEUDONYM_KEY=... -e MODEL_PATH=... -p "
        "8000:8000 housing-api:0.1.0`, then curl the probe's path.",
    )
    record_property("ready after", f"{replay.ready_after:.1f} s")
    path = str(replay.probe.get("path"))
    status, body = http(replay.url + "/openapi.json")
    if status == 200:  # a path the app does not route answers 404, but /docs answers 200 too
        operations = (json.loads(body).get("paths") or {}).get(path.split("?")[0]) or {}
        expect(
            "get" in operations,
            expected=f"the readiness probe's path {path} to be a GET "
            "route of the app (its /openapi.json)",
            found=f"its routes: {sorted(json.loads(body).get('paths') or {})}",
            hint="Probe the health route: httpGet.path: /health.",
        )
    if replay.budget is not None and replay.ready_after is not None:
        expect(
            replay.ready_after <= replay.budget,
            expected=f"the pod ready before its liveness probe restarts it ({replay.budget:.0f}"
            " s: initialDelaySeconds + periodSeconds x failureThreshold)",
            found=f"ready after {replay.ready_after:.0f} s with these limits",
            hint="Give the liveness probe a longer initialDelaySeconds, or add a "
            "startupProbe, so a slow start is not a restart loop.",
        )


@pytest.mark.points(1)
def test_liveness_answers(replay: Replay) -> None:
    """The liveness probe passes on the ready pod"""
    ready(replay)
    assert replay.settings is not None
    state = docker_engine.state(replay.container)
    expect(
        state.get("Status") == "running",
        expected="the pod still running",
        found=f"{state.get('Status')}: {docker_engine.logs(replay.container)}",
    )
    live = (replay.spec.get("livenessProbe") or {}).get("httpGet")
    if not isinstance(live, dict):
        blocked(
            "the container has no httpGet livenessProbe to ask",
            hint="Make the check on the probes pass first.",
        )
    port = workloads.resolve_port(live.get("port"), replay.spec)
    host = replay.settings.ports.get(port or -1)
    expect(
        host is not None,
        expected="the liveness probe's port to be a container port",
        found=repr(live.get("port")),
    )
    status, body = http(f"http://127.0.0.1:{host}{live.get('path', '/')}")
    expect(
        200 <= status < 400,
        expected=f"GET {live.get('path')} (the livenessProbe) to answer "
        "2xx or 3xx on the ready pod",
        found=f"status {status}: {body[:200]}",
        hint="A liveness probe that fails restarts the pod forever: probe /health.",
    )


def model_prices(replay: Replay, houses: list[House]) -> list[float] | str:
    """What the model inside the container predicts for ``houses``, or why it could not say."""
    result = docker_engine.quietly(
        lambda: replay.container.exec_run(["python", "-c", PROBE, json.dumps(houses), MARKER])
    )
    if result is None:
        return "python could not run in the container"
    out = result.output.decode("utf-8", errors="replace")
    lines = [ln for ln in out.splitlines() if ln.startswith(MARKER)]
    answer = json.loads(lines[-1][len(MARKER) :]) if lines else out[-300:]
    return answer if isinstance(answer, list) else str(answer)


@pytest.mark.points(2)
def test_prediction(replay: Replay, houses: list[House], record_property: Note) -> None:
    """The ready pod answers an authenticated POST /predict with its own model's prices"""
    ready(replay)
    assert replay.settings is not None
    secret = replay.settings.env.get("JWT_SECRET", "")
    now = int(time.time())
    claims = {"sub": "week17-check@example.com", "scope": "predict", "iat": now, "exp": now + 600}
    headers = {"Authorization": "Bearer " + tokens.mint(claims, secret)}
    status, body = http(replay.url + "/predict", {"houses": houses}, headers, timeout=60)
    expect(
        status == 200,
        expected=f"POST /predict with a predict token (signed with the "
        f"JWT_SECRET the pod was given) and {len(houses)} houses to answer 200",
        found=f"status {status}: {body[:300]}",
        hint="The pod's JWT_SECRET must come from the Secret; the token is week 16's "
        "(HS256, scope predict).",
    )
    try:
        got = [float(p) for p in json.loads(body)["predictions"]]
    except (ValueError, KeyError, TypeError):
        fail(expected='{"predictions": [...]}', found=body[:300])
    expect(
        len(got) == len(houses) and all(math.isfinite(p) for p in got),
        expected=f"{len(houses)} finite prices",
        found=str(got[:5]),
    )
    own = model_prices(replay, houses)
    if isinstance(own, str):
        record_property("model", f"not compared: {own}")
        return
    wrong = [
        i
        for i, (a, b) in enumerate(zip(got, own, strict=True))
        if not math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-6)
    ]
    expect(
        not wrong,
        expected="the prices the model in the image predicts itself",
        found=f"{len(wrong)} of {len(houses)} differ; house {wrong[:1]}: "
        f"{[got[i] for i in wrong[:1]]} vs {[own[i] for i in wrong[:1]]}",
        hint="The API must serve the model the image holds (MODEL_PATH).",
    )
