"""Week 23 fixtures: the capstone's documents read once, and its Makefile run as a reviewer runs
it, in a clean copy of the week folder with the learner's interpreter first on PATH; its MLflow
store's tuning runs read once by probe_tuning.py in the learner's interpreter; its API started as
weeks 9, 10 and 16 start theirs (``api_fixtures``, ``metrics_fixtures``, ``token_fixtures``),
behind the JWT_SECRET made up for the run, every request of weeks 9 and 10 sent with a token."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mlops_checks import HOLDOUT, TARGET, api, markdown_doc, mlflow_probe, token_session
from mlops_checks.mlflow_probe import MARKER, Facts
from mlops_roadmap import tracking
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.checking import expect_file
from mlops_roadmap.fixtures import CleanCopy, Run
from mlops_roadmap.procs import ProcessResult

# What a learner's own runs leave behind, which a clean start must make again.
OUTPUTS = ("models", "mlflow.db", "mlruns", ".ruff_cache", ".mypy_cache", "reports")
MAKE_TIMEOUT = 600
CHECKS_DIR = Path(__file__).resolve().parent
Make = Callable[[str], ProcessResult]


def make_environment(venv: Path | None) -> dict[str, str]:
    """The learner's environment first on PATH, then the checker's own scripts (promtool, ruff),
    then the rest of PATH; no make variables inherited from a caller's make."""
    bins = ([str(venv / "bin")] if venv else []) + [str(Path(sys.executable).parent)]
    drop = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "VIRTUAL_ENV", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(PATH=os.pathsep.join([*bins, env.get("PATH", "")]), PYTHONDONTWRITEBYTECODE="1")
    if venv:
        env["VIRTUAL_ENV"] = str(venv)
    return env


@pytest.fixture
def make(run: Run, clean_copy: CleanCopy, learner_venv: Path | None) -> Make:
    """``make(target)``: the target run in a fresh clean copy of the week folder."""

    def _make(target: str) -> ProcessResult:
        copy = clean_copy(*OUTPUTS)
        env = make_environment(learner_venv)
        return run(["make", target], cwd=copy, env=env, timeout=MAKE_TIMEOUT)

    return _make


@pytest.fixture
def architecture(week_dir: Path) -> markdown_doc.Doc:
    path = expect_file(week_dir, "ARCHITECTURE.md", hint="Start from the scaffold's outline.")
    return markdown_doc.read(path)


@pytest.fixture
def runbook(week_dir: Path) -> markdown_doc.Doc:
    path = expect_file(week_dir, "RUNBOOK.md", hint="Start from the scaffold's outline.")
    return markdown_doc.read(path)


TUNING_PROBE_TIMEOUT = 240


@pytest.fixture(scope="session")
def tuning_facts(run: Run, learner_python: Path, week_dir: Path, held_out: HeldOut) -> Facts:
    """One probe run over the week's tracking store (env.sh's MLFLOW_TRACKING_URI, else
    sqlite:///mlflow.db here): its tuning runs, the newest tuning children's predictions for the
    held-out houses (given their features only), and the registered versions. A store that is
    not there is never opened (MLflow would create an empty one)."""
    store = tracking.declared_store(week_dir)
    problem = tracking.store_problem(store)
    argv = [learner_python, CHECKS_DIR / "probe_tuning.py", MARKER]
    holdout = held_out.features(HOLDOUT, drop=[TARGET])  # the prices stay with the check
    argv += ["--imports-only"] if problem else [f"holdout={holdout}"]
    answer = mlflow_probe.run_probe(run, argv, store.uri, week_dir, TUNING_PROBE_TIMEOUT)
    return Facts(store, problem, answer)


# -- the API, as weeks 9, 10 and 16 judge it -------------------------------------------------------

pytest_plugins = [
    "mlops_checks.api_fixtures",
    "mlops_checks.metrics_fixtures",
    "mlops_checks.token_fixtures",
]


@pytest.fixture(scope="session")
def app_extra_env(made_up_secrets: dict[str, str]) -> dict[str, str]:
    """The capstone's app serves behind tokens: it starts with the secrets made up for the run."""
    return dict(made_up_secrets)


@pytest.fixture(scope="session")
def http(app_run: api.AppRun, made_up_secrets: dict[str, str]) -> Iterator[api.Http]:
    """An httpx client on the running app whose every request carries a valid token (scopes
    `predict admin`), so that weeks 9 and 10 judge the answers, not the authentication."""
    headers = token_session.bearer(made_up_secrets["JWT_SECRET"])
    client = api.Http(api.require_server(app_run), headers=headers)
    try:
        yield client
    finally:
        client.close()
