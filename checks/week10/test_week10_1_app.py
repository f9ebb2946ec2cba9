"""Week 10: the app trains and starts, and GET /metrics is Prometheus' exposition format.

The app is trained and started once (the `app_run` fixture, as in week 9); the scrapes are
parsed by prometheus_client's own parser (text_string_to_metric_families) in the learner's
interpreter.
"""

from __future__ import annotations

import pytest

from mlops_checks import api, api_checks, monitoring
from mlops_roadmap.checking import expect

# Room for training (240 s at most) and the app's start (60 s), whichever check starts them.
pytestmark = pytest.mark.timeout(420)
test_training = api_checks.test_training  # the shared check, collected here in this order
test_app_starts = api_checks.test_app_starts  # the shared check, collected here in this order


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
