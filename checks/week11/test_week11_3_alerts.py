"""Week 11: the alerting rules are valid, complete and behave, and their own tests pass.

The checks live in the course library (`mlops_checks.alert_checks`), so that the capstone (week
23) runs them again on the rules it carries on; promtool judges everything, on check-owned cases
written into a temporary folder (the learner's files are only read).
"""

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
