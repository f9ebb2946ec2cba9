"""Checks every week that starts the house-price API begins with: the model trains from a clean
start, and the app starts. A week's test module imports them (pytest collects them there, under
that module's name, with its markers such as its time limit)."""

from __future__ import annotations

import pytest

from mlops_checks import api


@pytest.mark.points(1)
def test_training(app_run: api.AppRun) -> None:
    """train.py saves models/linear.joblib from a clean start"""
    api.check_trained(app_run)


@pytest.mark.points(1)
def test_app_starts(app_run: api.AppRun, request: pytest.FixtureRequest) -> None:
    """The app starts under uvicorn and GET /health answers 200"""
    api.check_started(app_run, lambda: request.getfixturevalue("http"))
