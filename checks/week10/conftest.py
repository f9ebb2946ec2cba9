"""Week 10 fixtures: the learner's API trained and started once, and one session of known
traffic between three scrapes of its /metrics.

The app is trained and started by the shared ``mlops_checks.api_fixtures`` (the same steps and
debug route as week 9); the traffic and the scrapes come from ``mlops_checks.metrics_fixtures``
(the capstone, week 23, sends the same traffic to its app).
"""

from __future__ import annotations

pytest_plugins = ["mlops_checks.api_fixtures", "mlops_checks.metrics_fixtures"]
