"""Week 10 fixtures: the learner's API trained and started once, and one session of known
traffic between two scrapes of its /metrics.

The app is trained and started by week 9's api_under_test.py (the same steps, the same debug
route); the scrapes are parsed by prometheus_client's own parser in the learner's interpreter.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

CHECKS_DIR = Path(__file__).resolve().parent
VALID = 5  # valid POST /predict requests the check sends (200)
INVALID = 3  # invalid ones (422)
UNKNOWN = 2  # GETs of a path no route matches (404)


def _load(name: str, path: Path) -> ModuleType:
    """A module by path, under a name of its own (importlib mode adds no path)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


under_test = _load("week10_api_under_test", CHECKS_DIR.parent / "week09" / "api_under_test.py")
monitoring_module = _load("week10_monitoring", CHECKS_DIR / "monitoring.py")


@dataclass
class Traffic:
    """Two scrapes of /metrics with known requests between them."""

    token: str  # in the unknown path: no label may hold it
    statuses: dict[str, list[int]] = field(default_factory=dict)  # what the app answered
    scrape_status: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    parsed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def scraped(self) -> bool:
        return self.scrape_status == [200, 200]

    @property
    def before(self) -> dict[str, Any]:
        return self.parsed[0]

    @property
    def after(self) -> dict[str, Any]:
        return self.parsed[1]


@pytest.fixture(scope="session")
def api() -> ModuleType:
    return under_test


@pytest.fixture(scope="session")
def monitoring() -> ModuleType:
    return monitoring_module


@pytest.fixture(scope="session")
def app_run(
    run: Callable[..., Any],
    serve: Callable[..., Any],
    clean_copy: Callable[..., Path],
    learner_python: Path,
) -> Any:
    """train.py, then the app under uvicorn, in one clean copy of the week folder."""
    return under_test.launch(run, serve, clean_copy, learner_python)


@pytest.fixture(scope="session")
def http(app_run: Any) -> Iterator[Any]:
    client = under_test.Http(under_test.require_server(app_run))
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def traffic(
    http: Any,
    run: Callable[..., Any],
    learner_python: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Traffic:
    """Scrape, send VALID + INVALID predictions and UNKNOWN 404s, scrape again, parse both."""
    houses = under_test.sample_houses()
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
        seen.parsed = under_test.parse_metrics(run, learner_python, seen.texts, workdir)
    return seen


@pytest.fixture(scope="session")
def scrapes(traffic: Traffic) -> Traffic:
    """The traffic, or blocked when /metrics could not be scraped and parsed."""
    from mlops_roadmap.checking import blocked

    if not traffic.scraped or any("error" in p for p in traffic.parsed):
        blocked(
            "/metrics could not be scraped and parsed",
            hint="Make the check 'GET /metrics parses as the Prometheus exposition format' "
            "pass first.",
        )
    return traffic
