"""Shared fixtures for the weeks that judge the API's metrics (10, and the capstone, 23): one
session of known traffic between three scrapes of the running app's /metrics.

A week opts in with ``pytest_plugins = ["mlops_checks.api_fixtures",
"mlops_checks.metrics_fixtures"]``; the requests go through the ``http`` fixture (a week may
override it, e.g. to send a bearer token). The scrapes are parsed by prometheus_client's own
parser in the learner's interpreter. Between the first two scrapes go valid, invalid, unknown and
failing requests, each timed by the check; between the last two, one valid prediction whose body
takes a known time to arrive, so that the latency histogram's unit shows.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import api
from mlops_checks.monitoring import Traffic
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import Run

VALID = 5  # valid POST /predict requests the check sends (200)
INVALID = 3  # invalid ones (422)
UNKNOWN = 2  # GETs of a path no route matches (404)
FAILING = 1  # GETs of the debug route, which raises (500)
HOUSES = 2  # houses in each valid request
DELAY = 0.5  # seconds the slow prediction's body takes to arrive


def timed(traffic: Traffic, kind: str, http: api.Http, method: str, path: str, **kw: Any) -> Any:
    """Send one request, noting its status and its wall time under ``kind``."""
    began = time.perf_counter()
    answer = http.request(method, path, **kw)
    traffic.seconds[kind] = traffic.seconds.get(kind, 0.0) + time.perf_counter() - began
    traffic.statuses.setdefault(kind, []).append(answer.status_code)
    return answer


def slow_body(body: bytes) -> Iterator[bytes]:
    """A request body sent in two parts DELAY seconds apart."""
    yield body[:20]
    time.sleep(DELAY)
    yield body[20:]


def send_traffic(http: api.Http, seen: Traffic, houses: list[dict[str, Any]]) -> None:
    for _ in range(VALID):
        answer = timed(seen, "valid", http, "POST", "/predict", json={"houses": houses})
        with contextlib.suppress(ValueError, KeyError, TypeError):
            seen.prices += [float(p) for p in answer.json()["predictions"]]
    bad = {"houses": [{**houses[0], "area": -100}]}
    for _ in range(INVALID):
        timed(seen, "invalid", http, "POST", "/predict", json=bad)
    for number in range(UNKNOWN):
        timed(seen, "unknown", http, "GET", f"/no-such-page-{seen.token}-{number}")
    for _ in range(FAILING):
        timed(seen, "failing", http, "GET", api.ERROR_ROUTE)


@pytest.fixture(scope="session")
def traffic(
    http: api.Http,
    run: Run,
    learner_python: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Traffic:
    """Scrape; send the known requests; scrape; send the slow prediction; scrape; parse all."""
    houses = api.sample_houses()[:HOUSES]
    seen = Traffic(token=uuid.uuid4().hex[:12])
    http.get("/health")
    try:
        seen.routes = set(http.get("/openapi.json").json().get("paths") or {})
    except (ValueError, AttributeError):
        seen.routes = set()
    # Redirects are followed, as Prometheus does: make_asgi_app() mounted at /metrics answers
    # GET /metrics with a redirect to /metrics/.
    scrapes = [http.get("/metrics", follow_redirects=True)]
    send_traffic(http, seen, houses)
    scrapes.append(http.get("/metrics", follow_redirects=True))
    body = json.dumps({"houses": houses}).encode()
    headers = {"Content-Type": "application/json"}
    timed(seen, "slow", http, "POST", "/predict", content=slow_body(body), headers=headers)
    scrapes.append(http.get("/metrics", follow_redirects=True))
    seen.scrape_status = [s.status_code for s in scrapes]
    seen.texts = [s.text for s in scrapes]
    if seen.scraped:
        workdir = tmp_path_factory.mktemp("scrapes")
        seen.parsed = api.parse_metrics(run, learner_python, seen.texts, workdir)
    return seen


@pytest.fixture(scope="session")
def scrapes(traffic: Traffic) -> Traffic:
    """The traffic, or blocked when /metrics could not be scraped and parsed."""
    if not traffic.scraped or any("error" in p for p in traffic.parsed):
        blocked(
            "/metrics could not be scraped and parsed",
            hint="Make the check 'GET /metrics parses as the Prometheus exposition format' "
            "pass first.",
        )
    return traffic
