"""Week 10's checks judged both ways: submissions each check must fail (mutations of the
reference solution, each run breaking each selected check once) and a right submission written
differently from the lesson (tests/fixtures/week10/) that every check must pass: a plain ASGI
middleware, a `path` label, make_asgi_app() mounted at /metrics, the job's own scrape interval
and labels, a recording rule, and a dashboard with variables of its own ($window, $route, $job).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.shared_week import Shared, prepare
from tests.test_week09_api import check, edit, lay
from tests.test_week10_metrics import TITLES

WEEK = 10
MAIN = "app/main.py"
DASHBOARD = "grafana/dashboards/housing.json"
MIDDLEWARE = """    start, status = time.perf_counter(), 500
    try:
        response = await call_next(request)
        status = response.status_code
        return response
    finally:
        # The route template keeps the labels bounded: never label with the raw URL.
        route = request.scope.get("route")
        endpoint = getattr(route, "path", "unmatched")
        REQUESTS.labels(request.method, endpoint, str(status)).inc()
        LATENCY.labels(endpoint).observe(time.perf_counter() - start)
"""
FEED = "    for price in prices:\n        PREDICTED_PRICE.observe(price)\n"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Shared:
    """One workspace (scaffold and virtual environment) for the module's cases."""
    return prepare(tmp_path_factory, WEEK)


def outcomes(checks: dict[str, dict[str, str]]) -> dict[str, str]:
    return {key: checks[t]["outcome"] for key, t in TITLES.items() if t in checks}


def edit_queries(week: Path, *changes: tuple[int, str, str]) -> None:
    """Change the expression of panels of the finished dashboard: (panel, old, new)."""
    path = week / DASHBOARD
    dashboard = json.loads(path.read_text())
    for panel, old, new in changes:
        target = dashboard["panels"][panel]["targets"][0]
        assert old in target["expr"], target["expr"]
        target["expr"] = target["expr"].replace(old, new)
    path.write_text(json.dumps(dashboard, indent=2))


def test_right_submission_passes(cli: Cli, shared: Shared) -> None:
    week = lay(shared, solved=False, case="right-asgi-path-label")
    checks = check(cli, week)
    assert outcomes(checks) == dict.fromkeys(TITLES, "passed"), checks


def test_milliseconds_and_uncounted_failures(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    edit(
        week / MAIN,
        MIDDLEWARE,
        """    start = time.perf_counter()
    response = await call_next(request)
    endpoint = getattr(request.scope.get("route"), "path", "unmatched")
    REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    LATENCY.labels(endpoint).observe((time.perf_counter() - start) * 1000)
    return response
""",
    )
    checks = check(cli, week, "counter or latency")
    assert outcomes(checks) == {"counter": "failed", "histogram": "failed"}
    counter = checks[TITLES["counter"]]
    assert counter["found"] == "up by 0; the 500 series: none"
    assert counter["hint"].startswith("Count in the middleware's `finally:` block")
    latency = checks[TITLES["histogram"]]
    assert latency["found"].startswith("up by ")
    assert "never multiplied by 1000" in latency["hint"]


def test_prices_never_fed_and_a_filter_on_a_missing_label(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    edit(week / MAIN, FEED, "")
    edit_queries(week, (1, 'status=~"5.."', 'code=~"5.."'))
    checks = check(cli, week, "predicted_prices or panels_show")
    assert outcomes(checks) == {"prices": "failed", "panels": "failed"}
    assert checks[TITLES["prices"]]["found"] == "_count up by 0, _sum up by 0.00"
    assert checks[TITLES["panels"]]["found"] == (
        "housing.json, panel 'Error ratio (5xx share of requests)': http_requests_total has no "
        "label code (it has endpoint, instance, job, method, status)"
    )


def test_clock_after_the_body_prices_in_thousands_and_a_slow_scrape(
    cli: Cli, shared: Shared
) -> None:
    week = lay(shared)
    main = week / MAIN
    edit(main, "        LATENCY.labels(endpoint).observe(time.perf_counter() - start)\n", "")
    edit(
        main,
        "    prices = [float(p) for p in model.predict(frame)]\n",
        "    began = time.perf_counter()\n"
        "    prices = [float(p) for p in model.predict(frame)]\n"
        '    LATENCY.labels("/predict").observe(time.perf_counter() - began)\n',
    )
    edit(main, "PREDICTED_PRICE.observe(price)", "PREDICTED_PRICE.observe(price / 1000)")
    edit(week / "prometheus.yml", "    scrape_interval: 15s\n", "    scrape_interval: 1m\n")
    checks = check(cli, week, "latency or predicted_prices or prometheus_config")
    assert outcomes(checks) == {"histogram": "failed", "prices": "failed", "config": "failed"}
    assert checks[TITLES["histogram"]]["hint"].startswith("Start the clock in the middleware")
    assert checks[TITLES["config"]]["found"] == "every 1m"
    found = checks[TITLES["prices"]]["found"]
    assert found.startswith("_count up by 10, _sum up by ")


def test_undefined_variable_and_a_job_never_scraped(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    edit_queries(
        week,
        (0, 'job="housing-api"', 'job="housing"'),
        (2, "[$__rate_interval]", "[$window]"),
    )
    checks = check(cli, week, "dashboard_queries or panels_show")
    assert outcomes(checks) == {"dashboard": "failed", "panels": "failed"}
    found = checks[TITLES["dashboard"]]["found"]
    assert found.startswith("housing.json, panel 'p95 latency of /predict': ")
    assert "[$window]" in found
    assert checks[TITLES["panels"]]["found"] == (
        "housing.json, panel 'Request rate by endpoint and status': "
        'http_requests_total{job="housing"} matches no job it can have (housing-api, prometheus)'
    )


def test_training_that_fails(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    edit(week / "train.py", "def main() -> int:\n", "def main() -> int:\n    1 / 0\n")
    checks = check(cli, week, "training or app_starts or counter")
    assert outcomes(checks) == {"training": "failed", "starts": "blocked", "counter": "blocked"}
    assert "ZeroDivisionError" in checks[TITLES["training"]]["found"]
