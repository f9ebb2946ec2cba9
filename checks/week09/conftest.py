"""Week 9 fixtures: the learner's API trained and started once for all the week's checks.

The shared ``mlops_checks.api_fixtures`` train the model in a clean copy of the week folder and
start `python -m uvicorn app.main:app` there with ENABLE_DEBUG_ROUTES=1; the engine's `serve`
fixture stops it (and anything it started) when the checks end.
"""

from __future__ import annotations

pytest_plugins = ["mlops_checks.api_fixtures"]
