"""Week 8: the Airflow environment imports Airflow 3 and the full MLflow (mlflow-skinny alone
cannot log a scikit-learn model: it lacks skops)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import LIBRARIES, Tracked

from mlops_checks import airflow_env
from mlops_checks.airflow_env import AirflowEnv
from mlops_roadmap.checking import expect


@pytest.mark.points(1)
def test_airflow_environment(
    airflow: AirflowEnv, tracked: Tracked, record_property: Callable[[str, object], None]
) -> None:
    """The Airflow environment imports Airflow 3, MLflow, scikit-learn and pandas"""
    found = tracked.found
    hint = airflow_env.how_to_make(tracked.copy)
    version = found.versions.get("airflow", "")
    expect(
        not found.import_errors and version,
        expected=f"{', '.join(LIBRARIES)} to import with {airflow.python} ({airflow.origin})",
        found="cannot import " + "; ".join(found.import_errors)
        if found.import_errors
        else found.crash,
        hint=hint,
    )
    record_property("airflow", version)
    expect(
        version.startswith("3."),
        expected="Airflow 3 (the lesson's DAG imports from airflow.sdk)",
        found=f"Airflow {version}",
        hint=hint,
    )
