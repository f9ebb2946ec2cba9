"""Week 7: the Airflow environment, a virtual environment of its own (Airflow cannot share the
course's), imports Airflow 3 and what the tasks need."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import LIBRARIES, Pipeline

from mlops_checks import airflow_env
from mlops_checks.airflow_env import AirflowEnv
from mlops_roadmap.checking import expect


@pytest.mark.points(1)
def test_airflow_environment(
    airflow: AirflowEnv, pipeline: Pipeline, record_property: Callable[[str, object], None]
) -> None:
    """The Airflow environment imports Airflow 3, pandas, scikit-learn and joblib"""
    found = pipeline.found
    hint = airflow_env.how_to_make(pipeline.copy)
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
