"""Week 11: the app trains and starts (as in weeks 9 and 10), with a canary secret in its
environment."""

from __future__ import annotations

import pytest

from mlops_checks import api

# Room for training (240 s at most) and the app's start (60 s), whichever check starts them.
pytestmark = pytest.mark.timeout(420)


@pytest.mark.points(1)
def test_training(app_run: api.AppRun) -> None:
    """train.py saves models/linear.joblib from a clean start"""
    api.check_trained(app_run)


@pytest.mark.points(1)
def test_app_starts(app_run: api.AppRun, request: pytest.FixtureRequest) -> None:
    """The app starts under uvicorn and GET /health answers 200"""
    api.check_started(app_run, lambda: request.getfixturevalue("http"))
