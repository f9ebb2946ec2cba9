"""The API's metrics judged against known traffic: the checks week 10 teaches, collected unchanged
by the weeks that serve the same API (the capstone, week 23) so they run again there.

/metrics parses as Prometheus' exposition format; the request counter counts exactly, failures
included, by route template; the latency histogram times the predictions in seconds; the price
histogram records every price. Between the first two scrapes the `traffic` fixture
(``metrics_fixtures``) sends 5 valid and 3 invalid POST /predict requests, 2 GETs of an unknown
path and 1 GET of the debug route (a 500), timing each; between the last two, one valid
prediction whose body takes DELAY seconds to arrive. The checks compare the parsed scrapes with
what the check sent, measured and got back. A week collects them by importing them into one of
its test modules; they keep their titles, points and markers.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from mlops_checks import api, monitoring
from mlops_checks.metrics_fixtures import DELAY
from mlops_roadmap.checking import expect, expect_none, fail

__all__ = [
    "test_counter_counts_exactly",
    "test_labels_are_route_templates",
    "test_latency_histogram",
    "test_metrics_parse",
    "test_predicted_prices",
]
COUNTER_HINT = (
    'REQUESTS = Counter("http_requests_total", "HTTP requests served", ["method", "endpoint", '
    '"status"]), incremented once per request in an HTTP middleware with '
    "REQUESTS.labels(request.method, route.path, str(response.status_code)).inc()."
)


LATENCY_HINT = (
    'LATENCY = Histogram("http_request_duration_seconds", "Time to serve a request", '
    '["endpoint"], buckets=(...)), observed in the middleware.'
)
PRICE_HINT = (
    'PREDICTED_PRICE = Histogram("predicted_price_dollars", "Predicted sale prices", '
    "buckets=(50e3, ..., 600e3)), and in /predict PREDICTED_PRICE.observe(price) for each "
    "price returned."
)
HINTS = {monitoring.COUNTER: COUNTER_HINT, monitoring.HISTOGRAM: LATENCY_HINT}
SLACK = 1.5  # the server's own time may come close to the check's wall time, never above


def require_family(scrape: dict[str, Any], sample: str, kind: str) -> None:
    family = monitoring.family_of(scrape, sample)
    names = sorted(f"{f['name']} ({f['type']})" for f in scrape.get("families", []))
    shown = ", ".join(n for n in names if not n.startswith(("python_", "process_")))
    if family is None:
        fail(
            expected=f"a {kind} {sample} in /metrics",
            found=f"no such metric; the app exports: {shown or 'only the default metrics'}",
            hint=HINTS.get(sample.removesuffix("_bucket"), PRICE_HINT),
        )
    expect(
        family["type"] == kind,
        expected=f"{sample} to be a {kind}",
        found=f"it is declared as {family['type']}",
        hint=f"Create it with prometheus_client's {kind.title()} class.",
    )


@pytest.mark.points(3)
def test_counter_counts_exactly(scrapes: monitoring.Traffic) -> None:
    """A request counter labelled by method, route and status rises by exactly the requests"""
    name = monitoring.COUNTER
    require_family(scrapes.after, name, "counter")
    after = monitoring.samples(scrapes.after, name)
    expect(
        after,
        expected=f"{name} series after the check's requests",
        found="the counter has no series: it was never incremented",
        hint=COUNTER_HINT,
    )
    missing = [
        label
        for label in ("method", "status")
        if not all(label in labels for _, labels, _ in after)
    ]
    if not all(monitoring.route_of(labels) is not None for _, labels, _ in after):
        missing.append(" or ".join(monitoring.ROUTE_LABELS))
    expect(
        not missing,
        expected=f"every {name} series labelled with method, status and the route "
        f"({', '.join(monitoring.ROUTE_LABELS)})",
        found=f"no {', no '.join(missing)} label on "
        f"{monitoring.series_text(after[0][1], after[0][2])}",
        hint=COUNTER_HINT,
    )
    before = monitoring.keyed(monitoring.samples(scrapes.before, name))
    now = monitoring.keyed(after)

    def rise(status: str | None) -> float:
        return sum(
            value - before.get(key, 0.0)
            for key, value in now.items()
            if monitoring.route_of(dict(key)) == "/predict"
            and (status is None or dict(key).get("status") == status)
            and dict(key).get("method") in (None, "POST")
        )

    valid, invalid = len(scrapes.statuses["valid"]), len(scrapes.statuses["invalid"])
    answered = f"(the app answered {scrapes.statuses['valid']} and {scrapes.statuses['invalid']})"
    predict_series = [
        monitoring.series_text(dict(k), v, before.get(k, 0.0))
        for k, v in now.items()
        if monitoring.route_of(dict(k)) == "/predict"
    ]
    expect(
        (rise("200"), rise("422"), rise(None)) == (valid, invalid, valid + invalid),
        expected=f"after {valid} valid (200) and {invalid} invalid (422) POST /predict "
        f'requests, {name}{{method="POST", endpoint="/predict", status="200"}} up by exactly '
        f'{valid}, status="422" by exactly {invalid}, and all /predict series by '
        f"{valid + invalid} {answered}",
        found=f"up by {rise('200'):g}, {rise('422'):g} and {rise(None):g}; the /predict "
        f"series: {'; '.join(predict_series) or 'none'}",
        hint="Count in an HTTP middleware, once per request, in a `finally:` block, with the "
        'status code as a string ("200"); do not count again inside the endpoint.',
    )
    failing = len(scrapes.statuses["failing"])
    errors = [
        (dict(key), value - before.get(key, 0.0))
        for key, value in now.items()
        if dict(key).get("status") == "500"
    ]
    counted = sum(rise for _, rise in errors)
    expect(
        counted == failing,
        expected=f"after {failing} GET {api.ERROR_ROUTE} (it raises, the app answers "
        f'{scrapes.statuses["failing"]}), {name}{{status="500"}} up by exactly {failing}: '
        "requests that fail are counted too",
        found=f"up by {counted:g}; the 500 series: "
        + ("; ".join(monitoring.series_text(k, v) for k, v in errors) or "none"),
        hint="Count in the middleware's `finally:` block with status 500 preset "
        "(start, status = time.perf_counter(), 500), so that a request whose handler raises "
        "is counted as the 500 the client gets.",
    )


@pytest.mark.points(1)
def test_labels_are_route_templates(scrapes: monitoring.Traffic) -> None:
    """Metric labels hold route templates, never raw URLs"""
    offending = [
        monitoring.series_text(s[1], s[2])
        for family in scrapes.after.get("families", [])
        for s in family["samples"]
        if any(scrapes.token in str(value) for value in s[1].values())
    ]
    expect_none(
        offending,
        expected=f"no label holding the raw URL of GET /no-such-page-{scrapes.token}-0 (every "
        "URL would become a new time series)",
        hint='Label with the matched route\'s template (request.scope["route"].path) and a '
        'fixed value such as "unmatched" when no route matched.',
        shown=3,
    )


def predict_total(scrape: dict[str, Any], sample: str) -> float:
    """The sum of the /predict series called ``sample``."""
    return sum(
        value
        for _, labels, value in monitoring.samples(scrape, sample)
        if monitoring.route_of(labels) == "/predict"
    )


def bucket_problems(scrape: dict[str, Any], name: str) -> list[str]:
    """What is inconsistent in a histogram's buckets, series by series."""
    counts = monitoring.keyed(monitoring.samples(scrape, f"{name}_count"))
    by_series: dict[Any, list[tuple[float, float]]] = {}
    for _, labels, value in monitoring.samples(scrape, f"{name}_bucket"):
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        by_series.setdefault(key, []).append((float(labels.get("le", "nan")), value))
    problems = []
    for key, points in by_series.items():
        points.sort()
        values = [v for _, v in points]
        if values != sorted(values):
            problems.append(f"{dict(key)}: bucket counts decrease as le grows")
        if not points or points[-1][0] != float("inf") or points[-1][1] != counts.get(key):
            problems.append(f'{dict(key)}: the le="+Inf" bucket differs from _count')
        if len(points) < 4:
            problems.append(f"{dict(key)}: only {len(points) - 1} finite buckets")
    return problems


@pytest.mark.points(2)
def test_latency_histogram(scrapes: monitoring.Traffic) -> None:
    """A latency histogram times the prediction requests in seconds, with consistent buckets"""
    name = monitoring.HISTOGRAM
    require_family(scrapes.after, f"{name}_bucket", "histogram")
    counts = monitoring.keyed(monitoring.samples(scrapes.after, f"{name}_count"))
    rise = predict_total(scrapes.after, f"{name}_count") - predict_total(
        scrapes.before, f"{name}_count"
    )
    valid, invalid = len(scrapes.statuses["valid"]), len(scrapes.statuses["invalid"])
    expect(
        rise in (valid, valid + invalid),
        expected=f"{name}_count for the route /predict up by {valid} (the valid requests) or "
        f"{valid + invalid} (all POST /predict requests)",
        found=f"up by {rise:g}; the series: "
        + ("; ".join(monitoring.series_text(dict(k), v) for k, v in counts.items()) or "none"),
        hint='Label the histogram with the route ("endpoint") and observe the duration of '
        "every request in the middleware: LATENCY.labels(endpoint).observe(seconds).",
    )
    expect_unit(scrapes, name)
    expect_none(
        bucket_problems(scrapes.after, name),
        expected='cumulative buckets (at least 3 of them) ending in le="+Inf" equal to _count',
        hint="Let prometheus_client's Histogram keep the buckets; pass buckets=(0.005, 0.01, "
        "..., 5.0) around your latency objective.",
        shown=3,
    )


def expect_unit(scrapes: monitoring.Traffic, name: str) -> None:
    """The /predict _sum holds seconds: no more than the check's own wall time of the same
    requests, and at least the known delay of the slow one."""
    fast = predict_total(scrapes.after, f"{name}_sum") - predict_total(
        scrapes.before, f"{name}_sum"
    )
    slow = predict_total(scrapes.last, f"{name}_sum") - predict_total(scrapes.after, f"{name}_sum")
    wall = scrapes.seconds["valid"] + scrapes.seconds["invalid"]
    slow_wall = scrapes.seconds["slow"]
    too_much = fast > wall * SLACK + 0.05 or slow > slow_wall * SLACK + 0.05
    expect(
        not too_much and slow >= DELAY * 0.9,
        expected=f"{name}_sum for /predict to grow by the requests' time in seconds: at most "
        f"the {wall:.3f} s the {len(scrapes.statuses['valid']) + len(scrapes.statuses['invalid'])}"
        f" requests took as the check timed them, then at least {DELAY:g} s for one whose body "
        f"took {DELAY:g} s to arrive ({slow_wall:.3f} s in all)",
        found=f"up by {fast:.4g}, then by {slow:.4g}",
        hint="Observe seconds, as the name says: time.perf_counter() - start, never multiplied "
        "by 1000."
        if too_much
        else "Start the clock in the middleware, before call_next, and observe after it "
        "returns: reading the request's body is part of serving it.",
    )


@pytest.mark.points(2)
def test_predicted_prices(scrapes: monitoring.Traffic) -> None:
    """A histogram of predicted prices records every price the app returns, in dollars"""
    name = monitoring.PRICES
    require_family(scrapes.after, f"{name}_bucket", "histogram")

    def rise(sample: str) -> float:
        def total(scrape: dict[str, Any]) -> float:
            return sum(value for _, _, value in monitoring.samples(scrape, sample))

        return total(scrapes.after) - total(scrapes.before)

    count, total = rise(f"{name}_count"), rise(f"{name}_sum")
    prices = scrapes.prices
    expect(
        count == len(prices) and math.isclose(total, sum(prices), rel_tol=1e-6, abs_tol=0.01),
        expected=f"after {len(scrapes.statuses['valid'])} valid predictions of "
        f"{len(prices) // max(1, len(scrapes.statuses['valid']))} houses each, {name}_count up "
        f"by {len(prices)} (one per price returned) and {name}_sum up by {sum(prices):,.2f} "
        "(the prices the app returned, in dollars)",
        found=f"_count up by {count:g}, _sum up by {total:,.2f}",
        hint=PRICE_HINT,
    )
    expect_none(
        bucket_problems(scrapes.after, name),
        expected='cumulative buckets (at least 3 of them) ending in le="+Inf" equal to _count',
        hint="Let prometheus_client's Histogram keep the buckets; pass buckets in dollars "
        "(50e3, 100e3, ..., 600e3).",
        shown=3,
    )


@pytest.mark.points(2)
def test_metrics_parse(traffic: monitoring.Traffic) -> None:
    """GET /metrics parses as the Prometheus exposition format"""
    expect(
        traffic.scraped,
        expected="GET /metrics to answer 200, before and after the check's requests",
        found=f"statuses {traffic.scrape_status}: {api.quote(traffic.texts[-1], 200)}",
        hint="Add @app.get('/metrics', include_in_schema=False) returning "
        "Response(generate_latest(), media_type=CONTENT_TYPE_LATEST).",
    )
    errors = [p["error"] for p in traffic.parsed if "error" in p]
    expect(
        not errors,
        expected="/metrics to parse with prometheus_client's text_string_to_metric_families",
        found=f"the parser says: {errors[0] if errors else ''}",
        hint="Serve generate_latest() as it is, with media_type=CONTENT_TYPE_LATEST; do not "
        "build the text yourself.",
    )
    families = traffic.after.get("families", [])
    expect(
        families,
        expected="at least one metric family in /metrics",
        found="an empty exposition",
        hint="Define the metrics at module level with prometheus_client.",
    )
