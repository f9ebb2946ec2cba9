"""Week 9 fixtures: the learner's API trained and started once for all the week's checks.

api_under_test.py (shared with weeks 10 and 11) trains the model in a clean copy of the week
folder and starts `python -m uvicorn app.main:app` there with ENABLE_DEBUG_ROUTES=1; the
engine's `serve` fixture stops it (and anything it started) when the checks end.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

CHECKS_DIR = Path(__file__).resolve().parent


def _load(name: str) -> ModuleType:
    """A module next to this file, under a name of its own (importlib mode adds no path)."""
    spec = importlib.util.spec_from_file_location(f"week09_{name}", CHECKS_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


under_test = _load("api_under_test")


@pytest.fixture(scope="session")
def api() -> ModuleType:
    """The shared helpers (api_under_test.py)."""
    return under_test


@pytest.fixture(scope="session")
def app_run(
    run: Callable[..., Any],
    serve: Callable[..., Any],
    clean_copy: Callable[..., Path],
    learner_python: Path,
) -> Any:
    """train.py, then the app under uvicorn, in one clean copy of the week folder."""
    return under_test.launch(run, serve, clean_copy, learner_python)


@pytest.fixture(scope="session")
def http(app_run: Any) -> Iterator[Any]:
    """An httpx client on the running app, or the check is blocked when it did not start."""
    client = under_test.Http(under_test.require_server(app_run))
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def houses() -> list[dict[str, Any]]:
    return under_test.sample_houses()


@pytest.fixture(scope="session")
def model_predictions(app_run: Any, run: Callable[..., Any], learner_python: Path) -> Any:
    """What the learner's saved model itself predicts for the sample houses."""
    under_test.require_trained(app_run)
    return under_test.model_predictions(run, learner_python, app_run.folder)
