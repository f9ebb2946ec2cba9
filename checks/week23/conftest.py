"""Week 23 fixtures: the capstone's documents read once, and its Makefile run as a reviewer runs
it, in a clean copy of the week folder with the learner's interpreter first on PATH; its MLflow
store's tuning runs read once by probe_tuning.py in the learner's interpreter; its API started as
weeks 9, 10 and 16 start theirs (``api_fixtures``, ``metrics_fixtures``, ``token_fixtures``),
behind the JWT_SECRET made up for the run, every request of weeks 9 and 10 sent with a token."""

from __future__ import annotations

import os
import random
import shutil
import socket
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import (
    HOLDOUT,
    TARGET,
    api,
    capstone_deploy,
    manifest_checks,
    markdown_doc,
    mlflow_probe,
    token_session,
)
from mlops_checks.drift_batches import labelled_batches
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
    "mlops_checks.drift_fixtures",
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


# -- the loop end to end: `make e2e` on the check's own batches, and week 21's drift checks --

# drift_runs, for week 21's drift checks: loaded with the API's fixtures (pytest_plugins above)

E2E_TIMEOUT = 540  # one `make e2e`: the solution takes 1-2 min, 5 on a loaded 2-CPU grader
E2E_PROBE_TIMEOUT = 180


@dataclass(frozen=True)
class E2eRun:
    """One `make e2e NEW_DATA=batch PORT=port` in a clean copy, and what its store holds."""

    name: str  # "drifted" or "unshifted"
    batch: Path
    port: int
    copy: Path
    result: ProcessResult
    answer: dict[str, Any]

    @property
    def command(self) -> str:
        return f"make e2e NEW_DATA={self.batch.name} PORT={self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def e2e_runs(
    run: Run,
    clean_copy: CleanCopy,
    learner_venv: Path | None,
    learner_python: Path,
    course_data: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, E2eRun]:
    """`make e2e` run twice at once, each in a fresh clean copy (no store, models or reports),
    on a batch of labelled sales the check makes with a new seed: the drifted one (nine columns
    moved) and the unshifted one; each copy's MLflow store then read by probe_e2e.py."""
    seed = random.SystemRandom().randrange(1, 1_000_000)
    folder = tmp_path_factory.mktemp("e2e-batches")
    stable, shifted = labelled_batches(course_data / "ames" / "test.csv", folder, seed)
    env = {**make_environment(learner_venv), **tracking.MLFLOW_ENV}

    def e2e(name: str, batch: Path) -> E2eRun:
        copy, port = clean_copy(*OUTPUTS), free_port()
        store = f"sqlite:///{copy / 'mlflow.db'}"
        argv = ["make", "e2e", f"NEW_DATA={batch}", f"PORT={port}"]
        result = run(argv, cwd=copy, env={**env, "MLFLOW_TRACKING_URI": store}, timeout=E2E_TIMEOUT)
        e2e, problem = copy / "reports" / "e2e.json", not (copy / "mlflow.db").is_file()
        probe = [learner_python, CHECKS_DIR / "probe_e2e.py", MARKER, batch, e2e]
        probe += ["--imports-only"] if problem else []
        answer = mlflow_probe.run_probe(run, probe, store, copy, E2E_PROBE_TIMEOUT)
        return E2eRun(name, batch, port, copy, result, answer)

    # Two at once: the two copies share nothing (stores, reports, ports), and the wait halves.
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = pool.map(e2e, ("drifted", "unshifted"), (shifted, stable))
        return {ran.name: ran for ran in done}


# -- the deployment manifests: deploy/ (or k8s/) read once, kustomized where it has a
# kustomization, with week 17's and week 20's readers (mlops_checks.capstone_deploy).


@pytest.fixture(scope="session")
def deploy_kubectl() -> str | None:
    return shutil.which("kubectl")


@pytest.fixture(scope="session")
def deploy(week_dir: Path, run: Run, deploy_kubectl: str | None) -> capstone_deploy.Deploy:
    """deploy/ (or k8s/) read: its object sets, rendered by kustomize where it has any."""
    return capstone_deploy.read(week_dir, run, deploy_kubectl)


@pytest.fixture(scope="session")
def deploy_committed(week_dir: Path, run: Run) -> set[Path]:
    """The files of the week folder git would commit."""
    return manifest_checks.committed_files(week_dir, run)
