"""The Airflow environment: the second learner environment of the weeks that orchestrate.

Airflow 3 cannot share the course's environment (every kserve needs ``psutil<6``, every Airflow
Task SDK ``psutil>=6.1``), so weeks 7, 8 and 12 run the learner's DAGs with the interpreter of
``.venv-airflow``: the week folder's, else the workspace's, else the one
``$MLOPS_ROADMAP_AIRFLOW_VENV`` names, else the course's own (``.tools/airflow-venv`` beside
``roadmap.yaml``, made by ``scripts/airflow-env.sh``: how ``course verify`` and CI find one; an
installed course has none). Airflow's own settings for a check's run come from here too: a
home and a metadata database in the check's scratch space, the DAG folder of the copy under
test, no examples, and none of the learner's ``AIRFLOW_*`` variables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mlops_checks import COURSE
from mlops_roadmap import tools
from mlops_roadmap.checking import blocked
from mlops_roadmap.venvs import venv_python

VENV = tools.AIRFLOW_VENV
ENV_VAR = tools.AIRFLOW_ENV_VAR
REQUIREMENTS = tools.AIRFLOW_REQUIREMENTS
COURSE_VENV = COURSE / tools.AIRFLOW_COURSE_VENV


@dataclass(frozen=True)
class AirflowEnv:
    """A virtual environment that holds Airflow, and where it was found."""

    venv: Path
    origin: str

    @property
    def python(self) -> Path:
        return venv_python(self.venv)


def find(week_dir: Path, workspace: Path) -> AirflowEnv | None:
    """The Airflow environment the checks use, or None when there is none (the places and
    their order are the engine's: `mlops-roadmap doctor` looks in the same ones)."""
    found = tools.first_venv(tools.airflow_venvs([week_dir], workspace, COURSE_VENV))
    return AirflowEnv(*found) if found else None


def how_to_make(week_dir: Path) -> str:
    """The commands that make the Airflow environment, from the workspace root."""
    return tools.airflow_how_to_make(week_dir.name)


def require(week_dir: Path, workspace: Path) -> AirflowEnv:
    """The Airflow environment, or the check is blocked with how to make it."""
    found = find(week_dir, workspace)
    if found is None:
        blocked(
            f"no Airflow environment: no {VENV} in {week_dir.name}/ or the workspace root",
            hint=how_to_make(week_dir),
        )
    return found


def settings(home: Path, dags: Path, **extra: str) -> dict[str, str]:
    """The environment of an Airflow process the checks start: the learner's AIRFLOW_*
    variables dropped, Airflow's home, database and logs in ``home``, ``dags`` its DAG folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__LOGGING__COLORED_CONSOLE_LOG="False",
        PYTHONDONTWRITEBYTECODE="1",
        NO_COLOR="1",
    )
    return {**env, **extra}
