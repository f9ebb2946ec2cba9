"""Week 10: prometheus.yml scrapes the API and is valid; the Grafana dashboards query real
metrics with valid PromQL, and Grafana is provisioned from the project's files.

promtool judges the configuration (`promtool check config`) and the queries: each dashboard
query becomes a recording rule's expr in a check-owned rule file that `promtool check rules`
parses. The learner's files are only read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import api, grafana, monitoring, prom_config, promql
from mlops_roadmap.checking import expect, expect_file, expect_none, fail

pytestmark = pytest.mark.timeout(420)
MIN_QUERIES = 3
SCRAPE_SECONDS = 15  # the lesson: scrape the API every 15 seconds
TARGET = re.compile(r"[A-Za-z0-9_.-]+:\d{1,5}")
BUILT_IN_SOURCES = {"-- Grafana --", "grafana", "-- Mixed --", "-- Dashboard --"}
COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
JOB_HINT = (
    "Add to scrape_configs:  - job_name: housing-api / static_configs: / - targets: "
    '["app:8000"]  (the compose service name and port; metrics_path defaults to /metrics).'
)


@pytest.mark.requires("promtool")
@pytest.mark.points(2)
def test_prometheus_config(week_dir: Path, run: Callable[..., Any]) -> None:
    """prometheus.yml scrapes the API as job housing-api and passes promtool check config"""
    path = expect_file(week_dir, "prometheus.yml")
    result = run([api.promtool(), "check", "config", path], cwd=week_dir, timeout=60)
    expect(
        result.returncode == 0,
        expected="`promtool check config prometheus.yml` to succeed",
        found=result.tail(6),
        hint="Fix what promtool names (indentation, unknown keys, durations such as 15s).",
    )
    jobs = {str(j.get("job_name")): j for j in prom_config.scrape_jobs(prom_config.read_yaml(path))}
    job = jobs.get(monitoring.JOB)
    if job is None:
        fail(
            expected=f"a scrape job named {monitoring.JOB} (week 11's alerts select it)",
            found=f"the jobs are: {', '.join(jobs) or 'none'}",
            hint=JOB_HINT,
        )
    targets = prom_config.static_targets(job)
    metrics_path = str(job.get("metrics_path", "/metrics"))
    expect(
        metrics_path == "/metrics" and targets and all(TARGET.fullmatch(t) for t in targets),
        expected=f"job {monitoring.JOB} scraping /metrics from static targets written "
        "host:port (app:8000 inside compose)",
        found=f"metrics_path {metrics_path}, targets {targets or 'none'}",
        hint=JOB_HINT,
    )
    config = prom_config.read_yaml(path)
    interval = job.get("scrape_interval", (config.get("global") or {}).get("scrape_interval"))
    expect(
        prom_config.seconds(str(interval or "1m")) == SCRAPE_SECONDS,
        expected=f"job {monitoring.JOB} scraped every {SCRAPE_SECONDS} seconds (its own "
        "scrape_interval, else the global one)",
        found=f"every {interval or '1m (Prometheus default)'}",
        hint="Keep the scaffold's global scrape_interval: 15s, or give the job "
        "scrape_interval: 15s.",
    )


def dashboard_queries(week_dir: Path) -> list[grafana.Query]:
    """Every query of grafana/dashboards/*.json, or fail saying what is missing or broken."""
    files = sorted((week_dir / "grafana" / "dashboards").glob("*.json"))
    expect(
        files,
        expected="dashboard JSON files in grafana/dashboards/",
        found="none",
        hint="Export your dashboard from Grafana (Share > Export > Save to file) into "
        "grafana/dashboards/housing.json.",
    )
    queries, broken = [], []
    for path in files:
        try:
            queries += grafana.queries(path.name, grafana.load_dashboard(path))
        except ValueError as exc:
            broken.append(f"{path.name}: {exc}")
    expect_none(
        broken,
        expected="every file in grafana/dashboards/ to be a dashboard in JSON",
        hint="Export the dashboard again from Grafana; do not edit the JSON by hand.",
    )
    expect(
        len(queries) >= MIN_QUERIES,
        expected=f"at least {MIN_QUERIES} PromQL queries across the dashboards (request rate, "
        "error ratio, p95 latency...)",
        found=f"{len(queries)}",
        hint="Add the panels the lesson lists, each with a Prometheus query, and export again.",
    )
    return queries


def where(query: grafana.Query) -> str:
    return f"{query.dashboard}, panel '{query.panel}'"


@pytest.mark.requires("promtool")
@pytest.mark.points(2)
def test_dashboard_queries(
    week_dir: Path,
    scrapes: monitoring.Traffic,
    run: Callable[..., Any],
    tmp_path: Path,
) -> None:
    """Every Grafana dashboard query is valid PromQL naming a metric the app exports"""
    queries = dashboard_queries(week_dir)
    rules = tmp_path / "dashboard-queries.yml"
    rules.write_text(promql.rules_file([q.expr for q in queries]), encoding="utf-8")
    result = run([api.promtool(), "check", "rules", rules], cwd=tmp_path, timeout=60)
    if result.returncode != 0:
        errors = promql.promtool_errors(result.stdout + result.stderr)
        fail(
            expected="every query to be valid PromQL (each checked by `promtool check rules` "
            "as a recording rule's expression, with the dashboard's own variables and "
            "Grafana's $__rate_interval, $__interval and $__range put in)",
            found="; ".join(
                f"{where(queries[i])}: {error} in: {queries[i].expr}"
                for i, error in sorted(errors.items())
            )
            or result.tail(5),
            hint="Paste the query into Prometheus' own query page (Graph) to see the error; "
            "a variable of your own needs a current value in the dashboard's templating.",
        )
    known = (
        monitoring.exported_names(scrapes.last)
        | monitoring.SYNTHETIC
        | set(prom_config.recording_rules(week_dir / "prometheus.yml"))
    )
    problems = []
    for query in queries:
        names = promql.metric_names(query.expr)
        unknown = sorted(names - known)
        if not names:
            problems.append(f"{where(query)} selects no metric: {query.expr}")
        elif unknown:
            problems.append(f"{where(query)} uses {', '.join(unknown)}")
    expect_none(
        api.listed(problems, 4),
        expected="every query to select metrics the app exports at /metrics (or Prometheus' "
        "own up and scrape_* series, or recording rules prometheus.yml loads)",
        hint="Compare the names with `curl -s localhost:8000/metrics | grep -v '^#'`: counters "
        "end in _total, histograms give _bucket, _count and _sum.",
    )


# The panels the lesson asks for: (what, the series one query must select, a label matcher it
# needs, a value that matcher must match)
PANELS = (
    ("the request rate", f"{monitoring.COUNTER}", None, None),
    ("the error ratio", f"{monitoring.COUNTER}", "status", "500"),
    ("the p95 latency", f"{monitoring.HISTOGRAM}_bucket", None, None),
    ("the predicted prices", f"{monitoring.PRICES}_bucket", None, None),
)


STATUS_LABELS = ("status", "code", "status_code")


def lets_through(op: str, wanted: str, value: str) -> bool:
    """Whether a label matcher keeps series whose label holds ``value``."""
    if op in ("=", "=~"):
        return promql.matches(op, wanted, value)
    return not promql.matches("=" if op == "!=" else "=~", wanted, value)


def shows(query: grafana.Query, rules: dict[str, str], series: str, label: str | None,
          value: str | None) -> bool:  # fmt: skip
    """Whether a query (its recording rules expanded) selects ``series``, with a matcher on
    ``label`` that lets ``value`` through when one is named."""
    text = query.expr + "".join(f"\n{expr}" for name, expr in rules.items() if name in query.expr)
    for selector in promql.selectors(text) + [
        promql.Selector(n, ()) for n in promql.metric_names(text)
    ]:
        if selector.name != series:
            continue
        if label is None or any(
            name in STATUS_LABELS and lets_through(op, wanted, str(value))
            for name, op, wanted in selector.matchers
        ):
            return True
    return False


@pytest.mark.points(2)
def test_dashboard_panels_show_data(week_dir: Path, scrapes: monitoring.Traffic) -> None:
    """Every dashboard query can show data, and the lesson's four panels are there"""
    queries = dashboard_queries(week_dir)
    config = week_dir / "prometheus.yml"
    known = prom_config.known_of(config, scrapes.routes)
    exported = promql.series_labels(scrapes.last)
    problems = [
        f"{where(query)}: {problem}"
        for query in queries
        for problem in promql.empty_selections(query.expr, exported, known)
    ]
    expect_none(
        api.listed(problems, 3),
        expected="every label a query filters on to be one the app's series have (or job and "
        "instance, which Prometheus adds), with a value they can hold: an impossible filter "
        "is a panel that stays empty",
        hint="Compare the labels with `curl -s localhost:8000/metrics | grep http_`; a job is "
        f"one prometheus.yml scrapes ({monitoring.JOB}), a route a template such as /predict.",
    )
    rules = prom_config.recording_rules(config)
    missing = [
        what
        for what, series, label, value in PANELS
        if not any(shows(q, rules, series, label, value) for q in queries)
    ]
    expect_none(
        missing,
        expected="a panel for each of the request rate, the error ratio (a status filter that "
        "keeps 5xx), the p95 latency (http_request_duration_seconds_bucket) and the predicted "
        "price distribution (predicted_price_dollars_bucket)",
        hint="Add the panels with the queries of the lesson's step 5 and 6, with "
        'job="housing-api" and $__rate_interval.',
    )


def compose_service(week_dir: Path) -> tuple[str, dict[str, Any]]:
    """The compose file's Grafana service (by image or name), or fail saying what is there."""
    path = next((week_dir / n for n in COMPOSE_FILES if (week_dir / n).is_file()), None)
    if path is None:
        fail(
            expected="compose.yaml in the week folder",
            found="no compose file",
            hint="Start from the scaffold's compose.yaml.",
        )
    try:
        services = (prom_config.read_yaml(path) or {}).get("services") or {}
    except (ValueError, AttributeError) as exc:
        fail(expected=f"{path.name} to be YAML", found=str(exc), hint="Fix the YAML syntax.")
    for name, service in services.items():
        if isinstance(service, dict) and (
            "grafana" in str(service.get("image", "")) or name == "grafana"
        ):
            return path.name, service
    fail(
        expected=f"a grafana service in {path.name}",
        found=f"services: {', '.join(services) or 'none'}",
        hint="Keep the scaffold's grafana service (image grafana/grafana:12.1.0).",
    )


def serves_dashboards(week_dir: Path, volumes: list[Any], container_path: str) -> bool:
    """Whether a provider path inside the container is grafana/dashboards/ of the project."""
    wanted = (week_dir / "grafana" / "dashboards").resolve()
    for volume in volumes:
        source, target = (
            volume.split(":")[:2]
            if isinstance(volume, str) and volume.count(":") >= 1
            else (str(volume.get("source", "")), str(volume.get("target", "")))
            if isinstance(volume, dict)
            else ("", "")
        )
        target = target.rstrip("/")
        if target and (container_path == target or container_path.startswith(target + "/")):
            rest = container_path[len(target) :].strip("/")
            if (week_dir / prom_config.normal(source) / rest).resolve() == wanted:
                return True
    return False


@pytest.mark.points(1)
def test_grafana_provisioning(week_dir: Path) -> None:
    """Grafana's data source and dashboards are provisioned from the project's files"""
    provisioning = week_dir / "grafana" / "provisioning"

    def entries(folder: str, key: str) -> list[dict[str, Any]]:
        found = []
        for path in sorted((provisioning / folder).glob("*.y*ml")):
            try:
                content = prom_config.read_yaml(path) or {}
            except ValueError as exc:
                fail(expected=f"{path.name} to be YAML", found=str(exc), hint="Fix its syntax.")
            found += [e for e in content.get(key) or [] if isinstance(e, dict)]
        return found

    sources = [d for d in entries("datasources", "datasources") if d.get("type") == "prometheus"]
    expect(
        sources,
        expected="a Prometheus data source in grafana/provisioning/datasources/",
        found="none",
        hint="Keep the scaffold's grafana/provisioning/datasources/prometheus.yml.",
    )
    providers = entries("dashboards", "providers")
    paths = [str((p.get("options") or {}).get("path", "")) for p in providers]
    expect(
        any(paths),
        expected="a dashboard provider with options.path in grafana/provisioning/dashboards/",
        found="no provider file there" if not providers else f"providers without a path: {paths}",
        hint="Write grafana/provisioning/dashboards/housing.yml: apiVersion: 1, providers: "
        "[{name: housing, type: file, options: {path: /var/lib/grafana/dashboards}}].",
    )
    compose_name, service = compose_service(week_dir)
    volumes = list(service.get("volumes") or [])
    expect(
        any(serves_dashboards(week_dir, volumes, p) for p in paths if p),
        expected=f"a provider path where {compose_name} mounts grafana/dashboards/ in the "
        "Grafana container",
        found=f"provider paths {paths}; grafana volumes {volumes}",
        hint="Mount ./grafana/dashboards at /var/lib/grafana/dashboards and use that path as "
        "the provider's options.path.",
    )
    uids = {str(d.get("uid")) for d in sources if d.get("uid")}
    names = {str(d.get("name")) for d in sources if d.get("name")}
    wrong = []
    for path in sorted((week_dir / "grafana" / "dashboards").glob("*.json")):
        try:
            dashboard = grafana.load_dashboard(path)
        except ValueError:
            continue  # the queries check reports it
        variables = grafana.template_variables(dashboard)
        for panel, ref in grafana.datasource_refs(dashboard):
            value = str(ref.get("uid", "")) if isinstance(ref, dict) else str(ref)
            variable = re.fullmatch(r"\$\{?(\w+)\}?", value)
            ok = (
                value in BUILT_IN_SOURCES
                or not value
                or (variable is not None and variable.group(1) in variables)
                or value in (uids if isinstance(ref, dict) else names | uids)
            )
            if not ok:
                wrong.append(f"{path.name}, panel '{panel}': {value}")
    expect(
        not wrong,
        expected="every panel's data source to be a provisioned one (uid "
        f"{', '.join(sorted(uids)) or '?'}) or a dashboard variable",
        found="; ".join(sorted(set(wrong))[:3]),
        hint="Export without 'Export for sharing externally' (its ${DS_...} inputs only work "
        'when importing by hand), or set "datasource": {"type": "prometheus", "uid": '
        '"prometheus"} on each panel.',
    )
