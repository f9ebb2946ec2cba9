"""Shared fixtures for the weeks whose checks start the learner's API once and call it.

A week opts in with ``pytest_plugins = ["mlops_checks.api_fixtures"]`` in its conftest: the model
is trained and the app started once per run (``app_run``), called through ``http``, and compared
with what the learner's own saved model predicts (``model_predictions``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import api
from mlops_roadmap.fixtures import CleanCopy, Run, Serve


@pytest.fixture(scope="session")
def app_extra_env() -> dict[str, str]:
    """Variables the app runs with beyond the debug route (a week's conftest may override)."""
    return {}


@pytest.fixture(scope="session")
def app_run(
    run: Run,
    serve: Serve,
    clean_copy: CleanCopy,
    learner_python: Path,
    app_extra_env: dict[str, str],
) -> api.AppRun:
    """train.py, then the app under uvicorn, in one clean copy of the week folder."""
    return api.launch(run, serve, clean_copy, learner_python, env=app_extra_env)


@pytest.fixture(scope="session")
def http(app_run: api.AppRun) -> Iterator[api.Http]:
    """An httpx client on the running app, or the check is blocked when it did not start."""
    client = api.Http(api.require_server(app_run))
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def houses() -> list[dict[str, Any]]:
    """Eight valid houses the learner never saw."""
    return api.sample_houses()


@pytest.fixture(scope="session")
def model_predictions(app_run: api.AppRun, run: Run, learner_python: Path) -> dict[str, Any]:
    """What the learner's saved model itself predicts for the sample houses."""
    api.require_trained(app_run)
    return api.model_predictions(run, learner_python, app_run.folder)
