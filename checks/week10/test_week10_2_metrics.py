"""Week 10: the request counter counts exactly, by route template, and the latency histogram
times the predictions.

Between two scrapes the `traffic` fixture sends 5 valid and 3 invalid POST /predict requests
and 2 GETs of an unknown path; the checks compare the two parsed scrapes.
"""

from __future__ import annotations

from typing import Any

import pytest

from mlops_checks import monitoring
from mlops_roadmap.checking import expect, expect_none, fail

pytestmark = pytest.mark.timeout(420)
COUNTER_HINT = (
    'REQUESTS = Counter("http_requests_total", "HTTP requests served", ["method", "endpoint", '
    '"status"]), incremented once per request in an HTTP middleware with '
    "REQUESTS.labels(request.method, route.path, str(response.status_code)).inc()."
)


def require_family(scrape: dict[str, Any], sample: str, kind: str) -> None:
    family = monitoring.family_of(scrape, sample)
    names = sorted(f"{f['name']} ({f['type']})" for f in scrape.get("families", []))
    shown = ", ".join(n for n in names if not n.startswith(("python_", "process_")))
    if family is None:
        fail(
            expected=f"a {kind} {sample} in /metrics",
            found=f"no such metric; the app exports: {shown or 'only the default metrics'}",
            hint=COUNTER_HINT
            if kind == "counter"
            else 'LATENCY = Histogram("http_request_duration_seconds", "Time to serve a '
            'request", ["endpoint"], buckets=(...)), observed in the middleware.',
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


@pytest.mark.points(2)
def test_latency_histogram(scrapes: monitoring.Traffic) -> None:
    """A latency histogram times the prediction requests, with consistent buckets"""
    name = monitoring.HISTOGRAM
    require_family(scrapes.after, f"{name}_bucket", "histogram")
    buckets = monitoring.samples(scrapes.after, f"{name}_bucket")
    counts = monitoring.keyed(monitoring.samples(scrapes.after, f"{name}_count"))
    before = monitoring.keyed(monitoring.samples(scrapes.before, f"{name}_count"))
    rise = sum(
        value - before.get(key, 0.0)
        for key, value in counts.items()
        if monitoring.route_of(dict(key)) == "/predict"
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
    problems = []
    by_series: dict[Any, list[tuple[float, float]]] = {}
    for _, labels, value in buckets:
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        by_series.setdefault(key, []).append((float(labels.get("le", "nan")), value))
    for key, points in by_series.items():
        points.sort()
        values = [v for _, v in points]
        if values != sorted(values):
            problems.append(f"{dict(key)}: bucket counts decrease as le grows")
        if not points or points[-1][0] != float("inf") or points[-1][1] != counts.get(key):
            problems.append(f'{dict(key)}: the le="+Inf" bucket differs from _count')
        if len(points) < 4:
            problems.append(f"{dict(key)}: only {len(points) - 1} finite buckets")
    expect_none(
        problems,
        expected='cumulative buckets (at least 3 of them) ending in le="+Inf" equal to _count',
        hint="Let prometheus_client's Histogram keep the buckets; pass buckets=(0.005, 0.01, "
        "..., 5.0) around your latency objective.",
        shown=3,
    )
