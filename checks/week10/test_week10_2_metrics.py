"""Week 10: the request counter counts exactly, failures included, by route template; the
latency histogram times the predictions in seconds; the price histogram records every price.

The checks live in the course library (`mlops_checks.metrics_checks`), so that the capstone
(week 23) runs them again on its API; they compare the parsed scrapes of the `traffic` fixture
(`mlops_checks.metrics_fixtures`) with what the check sent, measured and got back.
"""

from __future__ import annotations

import pytest

from mlops_checks.metrics_checks import (
    test_counter_counts_exactly,
    test_labels_are_route_templates,
    test_latency_histogram,
    test_predicted_prices,
)

__all__ = [
    "test_counter_counts_exactly",
    "test_labels_are_route_templates",
    "test_latency_histogram",
    "test_predicted_prices",
]
pytestmark = pytest.mark.timeout(420)
