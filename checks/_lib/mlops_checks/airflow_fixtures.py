"""Shared fixtures of the weeks whose checks run DAGs in the Airflow environment (7, 8, 12).

A week opts in with ``pytest_plugins = ["mlops_checks.airflow_fixtures"]``: ``airflow`` is the
environment (the check is blocked with how to make it when there is none), ``airflow_template``
the path of the session's migrated metadata database, made by the first probe and copied by
every later one (``airflow db migrate`` takes up to 80 s on a loaded machine).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_checks import airflow_env, dag_runs
from mlops_checks.airflow_env import AirflowEnv


@pytest.fixture(scope="session")
def airflow(week_dir: Path, workspace: Path) -> AirflowEnv:
    """The Airflow environment, or blocked with the commands that make it."""
    return airflow_env.require(week_dir, workspace)


@pytest.fixture(scope="session")
def airflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session's migrated metadata database is kept (made by the first probe)."""
    return tmp_path_factory.mktemp("airflow-db") / dag_runs.TEMPLATE_DB
