"""Week 10 fixtures: the learner's API trained and started once, and one session of known
traffic between two scrapes of its /metrics.

The app is trained and started by the shared ``mlops_checks.api_fixtures`` (the same steps and
debug route as week 9); the scrapes are parsed by prometheus_client's own parser in the
learner's interpreter.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from mlops_checks import api
from mlops_checks.monitoring import Traffic
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import Run

pytest_plugins = ["mlops_checks.api_fixtures"]

VALID = 5  # valid POST /predict requests the check sends (200)
INVALID = 3  # invalid ones (422)
UNKNOWN = 2  # GETs of a path no route matches (404)


@pytest.fixture(scope="session")
def traffic(
    http: api.Http,
    run: Run,
    learner_python: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Traffic:
    """Scrape, send VALID + INVALID predictions and UNKNOWN 404s, scrape again, parse both."""
    houses = api.sample_houses()
    seen = Traffic(token=uuid.uuid4().hex[:12])
    # Redirects are followed, as Prometheus does: make_asgi_app() mounted at /metrics answers
    # GET /metrics with a redirect to /metrics/.
    first = http.get("/metrics", follow_redirects=True)
    for _ in range(VALID):
        answer = http.post("/predict", json={"houses": houses[:2]})
        seen.statuses.setdefault("valid", []).append(answer.status_code)
    for _ in range(INVALID):
        answer = http.post("/predict", json={"houses": [{**houses[0], "area": -100}]})
        seen.statuses.setdefault("invalid", []).append(answer.status_code)
    for number in range(UNKNOWN):
        answer = http.get(f"/no-such-page-{seen.token}-{number}")
        seen.statuses.setdefault("unknown", []).append(answer.status_code)
    second = http.get("/metrics", follow_redirects=True)
    seen.scrape_status = [first.status_code, second.status_code]
    seen.texts = [first.text, second.text]
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
