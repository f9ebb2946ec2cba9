"""Week 23: week 11's alert checks, run again against the capstone's rules as a regression suite:
the rules valid and loaded by prometheus.yml, the down, error-rate and latency alerts present and
behaving at 10, 100 and 1,000 requests a minute on the check's own cases, and the capstone's own
rule tests passing for every alert. They live in the course library (`mlops_checks.alert_checks`)
and keep week 11's titles."""

from __future__ import annotations

import pytest

from mlops_checks.alert_checks import (
    test_down_alert_behaves,
    test_error_alert_behaves,
    test_latency_alert_behaves,
    test_own_rule_tests,
    test_rules_complete,
    test_rules_valid,
)

__all__ = [
    "test_down_alert_behaves",
    "test_error_alert_behaves",
    "test_latency_alert_behaves",
    "test_own_rule_tests",
    "test_rules_complete",
    "test_rules_valid",
]
pytestmark = pytest.mark.timeout(300)
