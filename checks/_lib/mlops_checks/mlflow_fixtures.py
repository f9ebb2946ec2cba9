"""Shared fixtures for the weeks whose checks read an MLflow store through a probe.

A week opts in with ``pytest_plugins = ["mlops_checks.mlflow_fixtures"]`` and defines ``facts``
(its probe's answer) and ``libraries``; the shared environment check then reads the imports
that probe tried.
"""

from __future__ import annotations

import pytest

from mlops_checks.mlflow_probe import Facts


@pytest.fixture(scope="session")
def library_errors(facts: Facts) -> list[str]:
    """The libraries that do not import (the store's probe tries them first)."""
    return facts.import_errors
