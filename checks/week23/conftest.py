"""Week 23 fixtures: the capstone's documents read once, and its Makefile run as a reviewer runs
it, in a clean copy of the week folder with the learner's interpreter first on PATH; its MLflow
store's tuning runs read once by probe_tuning.py in the learner's interpreter."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mlops_checks import capstone_deploy, manifest_checks, markdown_doc, mlflow_probe
from mlops_checks.mlflow_probe import MARKER, Facts
from mlops_roadmap import tracking
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
def tuning_facts(run: Run, learner_python: Path, week_dir: Path) -> Facts:
    """One probe run over the week's tracking store (env.sh's MLFLOW_TRACKING_URI, else
    sqlite:///mlflow.db here): its tuning runs and registered versions. A store that is not
    there is never opened (MLflow would create an empty one)."""
    store = tracking.declared_store(week_dir)
    problem = tracking.store_problem(store)
    argv = [learner_python, CHECKS_DIR / "probe_tuning.py", MARKER]
    argv += ["--imports-only"] if problem else []
    answer = mlflow_probe.run_probe(run, argv, store.uri, week_dir, TUNING_PROBE_TIMEOUT)
    return Facts(store, problem, answer)


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
