"""Week 10's checks through the real CLI: the finished project passes; the scaffold fails where
it should; miscounted metrics, raw-URL labels, broken PromQL, a broken prometheus.yml and a
dashboard exported for sharing are failed checks that say what was found; and nothing the
checks start is left running. Also the PromQL tokeniser on its own.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import Cli
from tests.test_week09_api import check, edit, make_week, outcomes, tree_hashes
from tests.timing import scaled

WEEK = 10
TITLES = {
    "training": "train.py saves models/linear.joblib from a clean start",
    "starts": "The app starts under uvicorn and GET /health answers 200",
    "parses": "GET /metrics parses as the Prometheus exposition format",
    "counter": "A request counter labelled by method, route and status rises by exactly the "
    "requests",
    "routes": "Metric labels hold route templates, never raw URLs",
    "histogram": "A latency histogram times the prediction requests in seconds, with "
    "consistent buckets",
    "prices": "A histogram of predicted prices records every price the app returns, in dollars",
    "config": "prometheus.yml scrapes the API as job housing-api and passes promtool check config",
    "dashboard": "Every Grafana dashboard query is valid PromQL naming a metric the app exports",
    "panels": "Every dashboard query can show data, and the lesson's four panels are there",
    "provisioning": "Grafana's data source and dashboards are provisioned from the project's files",
}
PROMTOOL = shutil.which("promtool") or str(Path(sys.executable).parent / "promtool")
MIDDLEWARE_COUNT = "        REQUESTS.labels(request.method, endpoint, str(status)).inc()\n"


def library(name: str) -> ModuleType:
    """A module of the course's check library (on the path as the engine puts it there)."""
    return importlib.import_module(f"mlops_checks.{name}")


@pytest.mark.parametrize(
    ("query", "names"),
    [
        (
            'sum by (endpoint) (rate(http_requests_total{job="x"}[$__rate_interval]))',
            {"http_requests_total"},
        ),
        (
            "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))",
            {"http_request_duration_seconds_bucket"},
        ),
        (
            "sum(rate(a_total[5m])) / on(job) group_left sum(rate(b_total[5m])) > bool 0.05",
            {"a_total", "b_total"},
        ),
        ('{__name__="foo"} + up offset 1h', {"foo", "up"}),
        ('label_replace(x, "dst", "$1", "src", "(.*)") * 1e3', {"x"}),
        ("job:http_requests:rate5m", {"job:http_requests:rate5m"}),
        ("vector(1)", set()),
    ],
)
def test_metric_names_of_a_query(query: str, names: set[str]) -> None:
    promql, grafana = library("promql"), library("grafana")
    assert promql.metric_names(grafana.grafana_to_promql(query)) == names


def test_grafana_variables_become_promql() -> None:
    m = library("grafana")
    assert m.grafana_to_promql("rate(x[$__rate_interval]) + rate(y[${__interval}])") == (
        "rate(x[5m]) + rate(y[1m])"
    )


def test_dashboard_variables_take_their_current_values() -> None:
    """A dashboard's own variables: the current value, several as an alternation, All as .*,
    else the first option or query item; Grafana's formats and old [[ ]] syntax too."""
    m = library("grafana")
    dashboard = {
        "templating": {
            "list": [
                {"name": "window", "type": "interval", "current": {"value": "10m"}},
                {"name": "route", "current": {"value": ["/predict", "/health"]}},
                {"name": "any", "current": {"value": "$__all"}},
                {"name": "step", "query": "1m,5m"},
                {"name": "job", "options": [{"value": "housing-api"}]},
            ]
        }
    }
    values = m.variable_values(dashboard)
    expr = 'rate(x{e=~"$route", f=~"${any:regex}", job="[[job]]"}[$window]) + y[$step] + $other'
    assert m.grafana_to_promql(expr, values) == (
        'rate(x{e=~"(/predict|/health)", f=~".*", job="housing-api"}[10m]) + y[1m] + $other'
    )


def test_selectors_that_can_never_select() -> None:
    """A query filtering on a label the series lack, or on a job, route or status they never
    hold, is an always-empty panel; negative matchers and other values are left alone."""
    m = library("promql")
    exported = {
        "http_requests_total": {"method": {"GET"}, "endpoint": {"/predict"}, "status": {"200"}},
        "predicted_price_dollars_sum": {},
    }
    known = m.Known({"housing-api"}, {"job", "instance"}, {"/predict", "/health"})
    assert (
        m.empty_selections(
            'sum(rate(http_requests_total{job="housing-api", status=~"5..", endpoint="/health"}[5m]))'
            ' + predicted_price_dollars_sum{instance="x"} + up{job!="a"} + other{foo="bar"}',
            exported,
            known,
        )
        == []
    )
    assert m.empty_selections(
        'http_requests_total{code="500"} + http_requests_total{job="api"}'
        ' + http_requests_total{endpoint="/predictions"} + predicted_price_dollars_sum{path="/"}',
        exported,
        known,
    ) == [
        "http_requests_total has no label code (it has endpoint, instance, job, method, status)",
        'http_requests_total{job="api"} matches no job it can have (housing-api)',
        'http_requests_total{endpoint="/predictions"} matches no endpoint it can have (/health, '
        "/predict)",
        "predicted_price_dollars_sum has no label path (it has instance, job)",
    ]


def test_finished_project_passes_and_is_left_untouched(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    before = tree_hashes(week)
    checks = check(cli, week)
    assert outcomes(checks, TITLES) == dict.fromkeys(TITLES, "passed"), checks
    assert tree_hashes(week) == before


def test_scaffold_has_no_metrics_yet(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=False)
    checks = check(cli, week)
    assert outcomes(checks, TITLES) == {
        "training": "passed",
        "starts": "passed",
        "parses": "failed",
        "counter": "blocked",
        "routes": "blocked",
        "histogram": "blocked",
        "prices": "blocked",
        "config": "failed",
        "dashboard": "blocked",
        "panels": "blocked",
        "provisioning": "failed",
    }
    assert "statuses [404, 404, 404]" in checks[TITLES["parses"]]["found"]
    assert checks[TITLES["config"]]["found"] == "the jobs are: prometheus"
    assert checks[TITLES["provisioning"]]["found"] == "no provider file there"


def test_double_counting_and_raw_urls(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    main = week / "app" / "main.py"
    edit(main, MIDDLEWARE_COUNT, MIDDLEWARE_COUNT * 2)
    edit(main, 'endpoint = getattr(route, "path", "unmatched")', "endpoint = request.url.path")
    checks = check(cli, week, "counter or route_templates or latency_histogram")
    assert outcomes(checks, TITLES) == {
        "counter": "failed",
        "routes": "failed",
        "histogram": "passed",
    }
    assert checks[TITLES["counter"]]["found"].startswith("up by 10, 6 and 16; the /predict series:")
    assert "/no-such-page-" in checks[TITLES["routes"]]["found"]


def test_broken_monitoring_files(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(week / "prometheus.yml", "scrape_interval: 15s", "scrape_interval: often")
    dashboard_file = week / "grafana" / "dashboards" / "housing.json"
    dashboard = json.loads(dashboard_file.read_text())
    dashboard["panels"][1]["targets"][0]["expr"] = "rate(requests_served_total[5m])"
    dashboard["panels"][2]["datasource"] = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
    dashboard_file.write_text(json.dumps(dashboard))
    checks = check(cli, week, "prometheus_config or dashboard_queries or provisioning")
    assert outcomes(checks, TITLES) == {
        "config": "failed",
        "dashboard": "failed",
        "provisioning": "failed",
    }
    assert "often" in checks[TITLES["config"]]["found"]
    found = checks[TITLES["dashboard"]]["found"]
    assert found == (
        "housing.json, panel 'Error ratio (5xx share of requests)' uses requests_served_total"
    )
    assert "${DS_PROMETHEUS}" in checks[TITLES["provisioning"]]["found"]


def test_promtool_names_each_invalid_query(tmp_path: Path) -> None:
    """The dashboard check's PromQL judge: promtool's complaints map back to the queries."""
    m = library("promql")
    exprs = ["sum(rate(x_total[5m]))", "sum(rate(x_total[5m])", "rate(x_total[5 minutes])"]
    rules = tmp_path / "queries.yml"
    rules.write_text(m.rules_file(exprs))
    done = subprocess.run(
        [PROMTOOL, "check", "rules", str(rules)], capture_output=True, text=True, timeout=scaled(60)
    )
    assert done.returncode == 1
    errors = m.promtool_errors(done.stdout + done.stderr)
    assert sorted(errors) == [1, 2]
    assert "parse error" in errors[1]


def test_app_that_does_not_start_blocks_the_metrics(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(week / "app" / "main.py", "import joblib\n", "import joblib\nimport not_a_module_at_all\n")
    checks = check(cli, week, "app_starts or metrics_parse or counter")
    assert checks[TITLES["starts"]]["outcome"] == "failed"
    assert "No module named 'not_a_module_at_all'" in checks[TITLES["starts"]]["found"]
    assert checks[TITLES["parses"]]["outcome"] == "blocked"
    assert checks[TITLES["counter"]]["outcome"] == "blocked"
