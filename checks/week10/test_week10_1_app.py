"""Week 10: the app trains and starts, and GET /metrics is Prometheus' exposition format.

The app is trained and started once (the `app_run` fixture, as in week 9); the scrapes are
parsed by prometheus_client's own parser (text_string_to_metric_families) in the learner's
interpreter.
"""

from __future__ import annotations

import pytest

from mlops_checks import api_checks, metrics_checks

# Room for training (240 s at most) and the app's start (60 s), whichever check starts them.
pytestmark = pytest.mark.timeout(420)
test_training = api_checks.test_training  # the shared check, collected here in this order
test_app_starts = api_checks.test_app_starts  # the shared check, collected here in this order
test_metrics_parse = metrics_checks.test_metrics_parse  # the shared check, in this order
