"""Week 22's checks judged both ways through the real CLI: the reference solution passes, the
fresh scaffold fails (workflow still in the week folder, no DVC project, validate.py
unfinished), a right submission written from the lesson (tests/fixtures/week22/right-one-job:
one job that tests, retrains, gates and builds, the whole week folder as its paths filter, AWS
keys for the DVC remote from secrets, and a validate.py written as a table of checks that
exits through sys.exit) passes, and the solution broken one fault at a time fails the check
about that fault, with `found` naming it.

Each case copies one workspace the module prepares as `course verify` does (scaffold, venv,
solution and its prepare.sh: dvc init, dvc add, dvc repro, the first champion). The workflow
checks take a few seconds; the checks that run `dvc repro` and validate.py take 10 to 20 s, so
those cases are slow.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap import venvs
from tests.conftest import FIXTURES, Cli
from tests.shared_week import check_by_key, copy_of, template

CASES = FIXTURES / "week22"
FOLDER = "week22-continuous-training"
WORKFLOW = Path(".github", "workflows", "continuous-training.yml")
TITLES = {
    "root": "A workflow at the repository root runs for this week's folder",
    "triggers": "It retrains when the data version, params.yaml or dvc.lock change, weekly and "
    "by hand",
    "schema": "The week's workflows validate against GitHub's workflow schema",
    "actionlint": "actionlint finds nothing in the week's workflows",
    "gated": "Tests, then dvc repro, then validate.py, before anything builds, pushes or deploys",
    "permissions": "The workflow's token has least privilege: read at the top, writes only per job",
    "pinned": "Third-party actions are pinned to a full commit SHA",
    "credentials": "Credentials come only from secrets or OIDC, and are never printed",
    "injection": "No untrusted event text (titles, bodies, branch names) is expanded into a script",
    "retrains": "New training rows make `dvc repro` retrain: the model's hash in dvc.lock changes",
    "promotes": "validate.py exits 0 for a candidate within the margin, and the champion moves "
    "to it",
    "worse": "validate.py exits 1 for a candidate worse than the champion by more than the margin",
    "bad_params": "After `dvc repro` with parameters that ruin the model, validate.py exits 1",
    "tests": "The workflow's lint and pytest steps pass here, from a fresh copy of the week folder",
}
WORKFLOW_CHECKS = "test_week22_1"  # -k: the workflow checks only
GATE_CHECKS = "test_gate"


@pytest.fixture(scope="module")
def solved_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template(tmp_path_factory, 22, solved=True)


@pytest.fixture(scope="module")
def scaffold_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template(tmp_path_factory, 22, solved=False)


def check(cli: Cli, ws: Path, select: str | None = None) -> dict[str, Any]:
    """`mlops-roadmap check --json` in the week folder, by key."""
    return check_by_key(cli, ws / FOLDER, TITLES, select, timeout=900)


def dvc(ws: Path, *args: str) -> None:
    """A DVC command in the week folder, as the learner runs it (the workspace .venv first on
    PATH, for the stages' `python`)."""
    python = venvs.venv_python(ws / ".venv")
    env = {
        **os.environ,
        "DVC_NO_ANALYTICS": "1",
        "DVC_SITE_CACHE_DIR": str(ws.parent / "dvc-site"),
        "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    subprocess.run([python, "-m", "dvc", *args], cwd=ws / FOLDER, env=env, check=True)


def outcomes(checks: dict[str, Any]) -> dict[str, str]:
    return {k: c["outcome"] for k, c in checks.items()}


def failed(checks: dict[str, Any]) -> set[str]:
    return {k for k, c in checks.items() if c["outcome"] == "failed"}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.slow  # dvc repro three times: about 20 s
def test_solution_passes(cli: Cli, solved_template: Path, tmp_path: Path) -> None:
    ws = copy_of(solved_template, tmp_path)
    assert outcomes(check(cli, ws)) == dict.fromkeys(TITLES, "passed")


def test_scaffold_fails(cli: Cli, scaffold_template: Path, tmp_path: Path) -> None:
    ws = copy_of(scaffold_template, tmp_path)
    checks = check(cli, ws)
    assert set(outcomes(checks).values()) == {"failed"}, checks
    assert f"{FOLDER}/continuous-training.yml, which GitHub never runs" in checks["root"]["found"]
    assert checks["retrains"]["found"] == "the week folder is not a DVC project (no .dvc folder)"


@pytest.mark.slow  # dvc repro four times: about 25 s
def test_the_scaffold_set_up_but_unfinished(
    cli: Cli, scaffold_template: Path, tmp_path: Path
) -> None:
    """The lesson's first steps done (DVC project, first repro, workflow moved to the root) but
    none of the TODOs: what is left to do fails, and only that."""
    ws = copy_of(scaffold_template, tmp_path)
    week = ws / FOLDER
    for args in (["init", "--subdir", "-q"], ["add", "-q", "data/raw"], ["repro", "-q"]):
        dvc(ws, *args)
    (ws / WORKFLOW).parent.mkdir(parents=True, exist_ok=True)
    (week / "continuous-training.yml").rename(ws / WORKFLOW)
    checks = check(cli, ws)
    assert failed(checks) == {"triggers", "promotes", "worse"}, checks
    assert "week22-continuous-training/params.yaml does not trigger" in checks["triggers"]["found"]
    assert "has no schedule (a cron)" in checks["triggers"]["found"]
    assert checks["promotes"]["found"].startswith("champion/metrics.json after the pass: RMSE")
    assert checks["worse"]["found"].startswith("exit status 0")


@pytest.mark.slow
def test_right_submission_passes(cli: Cli, solved_template: Path, tmp_path: Path) -> None:
    ws = copy_of(solved_template, tmp_path)
    (ws / WORKFLOW).unlink()  # the learner's own workflow instead
    shutil.copytree(CASES / "right-one-job", ws, dirs_exist_ok=True)
    assert outcomes(check(cli, ws)) == dict.fromkeys(TITLES, "passed")


# -- the workflow broken one fault at a time (no DVC run) --------------------------------------

PARAMS_PATH = '      - "week22-continuous-training/params.yaml"\n'
SCHEDULE = '  schedule:\n    - cron: "17 4 * * 1"'
FAULTS = {
    "paths-miss-params": (
        PARAMS_PATH,
        "",
        "triggers",
        "a push changing week22-continuous-training/params.yaml does not trigger "
        ".github/workflows/continuous-training.yml",
    ),
    "paths-relative-to-the-week": (
        PARAMS_PATH,
        '      - "params.yaml"\n',
        "triggers",
        "a push changing week22-continuous-training/params.yaml does not trigger",
    ),
    "no-schedule": (
        SCHEDULE,
        "",
        "triggers",
        ".github/workflows/continuous-training.yml has no schedule (a cron)",
    ),
    "deploy-without-needs": (
        "    needs: train-and-validate\n",
        "",
        "gated",
        "jobs.deploy.steps[3] (docker/login-action) does not wait for validate.py",
    ),
    "gate-ignored": (
        "      - run: python validate.py  #",
        "      - run: python validate.py || true  #",
        "gated",
        "jobs.train-and-validate.steps[6] lets a failing validate.py pass",
    ),
    "unpinned": (
        "aws-actions/configure-aws-credentials@b47578312673ae6fa5b5096b330d9fbac3d116df",
        "aws-actions/configure-aws-credentials@main",
        "pinned",
        "uses aws-actions/configure-aws-credentials @main",
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_workflow_fault_fails_its_check(
    cli: Cli, solved_template: Path, tmp_path: Path, fault: str
) -> None:
    ws = copy_of(solved_template, tmp_path)
    old, new, key, named = FAULTS[fault]
    edit(ws / WORKFLOW, old, new)
    checks = check(cli, ws, WORKFLOW_CHECKS)
    assert failed(checks) == {key}, checks
    assert named in checks[key]["found"], checks[key]["found"]


def test_failing_data_test_fails_the_replay(
    cli: Cli, solved_template: Path, tmp_path: Path
) -> None:
    ws = copy_of(solved_template, tmp_path)
    edit(ws / FOLDER / "tests" / "test_data.py", 'train["price"].gt(0)', 'train["price"].gt(10**6)')
    checks = check(cli, ws, "test_data_tests_pass")
    assert outcomes(checks) == {"tests": "failed"}, checks
    found = checks["tests"]["found"]
    assert found.startswith("jobs.test.steps[6] `python -m pytest -q tests` exited 1"), found


# -- the pipeline and the gate broken (dvc repro and validate.py run) ---------------------------

VALIDATE = f"{FOLDER}/validate.py"
NEVER_FAILS = (
    '    if not all(passed for _, passed, _ in results):\n        print("The candidate is not '
    'deployed; the champion stays.")\n        return 1\n'
)
GATE_FAULTS = {
    # validate.py prints FAIL but always exits 0 (and promotes): both stops fail.
    "gate-never-fails": (VALIDATE, NEVER_FAILS, "", {"worse", "bad_params"}, "exit status 0"),
    # The relative margin widened to 10%: the 5% worse candidate passes.
    "margin-widened": (
        f"{FOLDER}/gates.yaml",
        "max_rmse_increase: 0.02",
        "max_rmse_increase: 0.10",
        {"worse"},
        "exit status 0",
    ),
}


@pytest.mark.slow  # dvc repro in the gate's copy: about 10 s each
@pytest.mark.parametrize("fault", list(GATE_FAULTS))
def test_gate_fault_fails_its_check(
    cli: Cli, solved_template: Path, tmp_path: Path, fault: str
) -> None:
    ws = copy_of(solved_template, tmp_path)
    path, old, new, keys, named = GATE_FAULTS[fault]
    edit(ws / path, old, new)
    checks = check(cli, ws, GATE_CHECKS)
    assert failed(checks) == keys, checks
    for key in keys:
        assert checks[key]["found"].startswith(named), checks[key]["found"]


@pytest.mark.slow  # dvc repro after the appended rows: about 10 s
def test_model_blind_to_new_data(cli: Cli, solved_template: Path, tmp_path: Path) -> None:
    ws = copy_of(solved_template, tmp_path)
    # The prepare stage no longer depends on data/raw (and dvc.lock agrees): new rows never
    # make `dvc repro` run it again.
    week = ws / FOLDER
    edit(
        week / "dvc.yaml", "      - src/prepare.py\n      - data/raw\n", "      - src/prepare.py\n"
    )
    dvc(ws, "repro", "-q")
    checks = check(cli, ws, "test_retrains_on_new_data")
    assert outcomes(checks) == {"retrains": "failed"}, checks
    assert checks["retrains"]["found"].startswith("models kept its hash"), checks
