"""Week 15's checks judged both ways through the real CLI: the reference solution passes, the
fresh scaffold fails (its workflow is still in the week folder, where GitHub never runs it),
right submissions written from the lesson (tests/fixtures/week15/, each a workflow of another
name and shape at the workspace root: lint and tests in one job tied to the week by its
working directory; jobs of other names with read-all at the top, step-level working
directories, AWS keys from secrets and a bare `pytest` with its own pytest.ini) pass, and the solution broken one fault at a time fails the
check about that fault, with `found` naming it.

Each case copies one workspace the module prepares as `course verify` does (scaffold, venv,
solution and its prepare.sh); the workflow checks take a second or two, the replay of the lint
and test jobs about ten.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, Cli
from tests.shared_week import check_by_key, copy_of, template

CASES = FIXTURES / "week15"
FOLDER = "week15-github-actions-cicd"
WORKFLOW = Path(".github", "workflows", "housing-api.yml")
TITLES = {
    "root": "A workflow at the repository root runs for this week's folder",
    "triggers": "The week's workflow runs on push and on pull_request",
    "schema": "The week's workflows validate against GitHub's workflow schema",
    "actionlint": "actionlint finds nothing in the week's workflows",
    "chain": "Lint, then test, then build: each job waits for the one before through needs",
    "permissions": "The workflow's token has least privilege: read at the top, writes only per job",
    "pinned": "Third-party actions are pinned to a full commit SHA",
    "credentials": "Credentials come only from secrets or OIDC, and are never printed",
    "injection": "No untrusted event text (titles, bodies, branch names) is expanded into a script",
    "commands": "The lint and test jobs' commands pass here, from a fresh copy of the week folder",
}
WORKFLOW_CHECKS = "not test_lint_and_tests_pass"  # -k: all but the replay


@pytest.fixture(scope="module")
def solved_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template(tmp_path_factory, 15, solved=True)


@pytest.fixture(scope="module")
def scaffold_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template(tmp_path_factory, 15, solved=False)


def check(cli: Cli, ws: Path, select: str | None = None) -> dict[str, Any]:
    """`mlops-roadmap check --json` in the week folder, by key."""
    return check_by_key(cli, ws / FOLDER, TITLES, select, timeout=600)


def outcomes(checks: dict[str, Any]) -> dict[str, str]:
    return {k: c["outcome"] for k, c in checks.items()}


def failed(checks: dict[str, Any]) -> set[str]:
    return {k for k, c in checks.items() if c["outcome"] == "failed"}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_solution_passes(cli: Cli, solved_template: Path, tmp_path: Path) -> None:
    ws = copy_of(solved_template, tmp_path)
    assert outcomes(check(cli, ws)) == dict.fromkeys(TITLES, "passed")


def test_scaffold_fails_naming_the_misplaced_workflow(
    cli: Cli, scaffold_template: Path, tmp_path: Path
) -> None:
    ws = copy_of(scaffold_template, tmp_path)
    checks = check(cli, ws)
    assert set(outcomes(checks).values()) == {"failed"}, checks
    found = checks["root"]["found"]
    assert f"{FOLDER}/housing-api.yml, which GitHub never runs" in found
    assert ".github/workflows/mlops-roadmap.yml (about other things)" in found


def test_the_draft_moved_to_the_root_fails_what_is_left_to_do(
    cli: Cli, scaffold_template: Path, tmp_path: Path
) -> None:
    ws = copy_of(scaffold_template, tmp_path)
    (ws / WORKFLOW).write_bytes((ws / FOLDER / "housing-api.yml").read_bytes())
    (ws / FOLDER / "housing-api.yml").unlink()
    checks = check(cli, ws)
    assert failed(checks) == {"chain", "permissions", "commands"}, checks
    assert checks["chain"]["found"] == (
        ".github/workflows/housing-api.yml: no job runs pytest; .github/workflows/housing-api.yml: "
        "no job builds the image (docker build or docker/build-push-action)"
    )
    assert "job `lint` runs with the repository's default token" in checks["permissions"]["found"]
    assert checks["commands"]["found"] == "no job runs pytest"


def test_git_init_in_the_week_folder_is_named(
    cli: Cli, scaffold_template: Path, tmp_path: Path
) -> None:
    ws = copy_of(scaffold_template, tmp_path)
    subprocess.run(["git", "init", "-q", str(ws / FOLDER)], check=True)
    checks = check(cli, ws, "test_workflow_at_root")
    assert (
        f"{FOLDER}/.git: the week folder is a git repository of its own"
        in (checks["root"]["found"])
    )


@pytest.mark.parametrize(
    "case",
    [
        "right-one-job-working-directory",
        pytest.param("right-split-names", marks=pytest.mark.slow),  # about 11 s each
    ],
)
def test_right_submission_passes(
    cli: Cli, scaffold_template: Path, tmp_path: Path, case: str
) -> None:
    ws = copy_of(scaffold_template, tmp_path)
    (ws / FOLDER / "housing-api.yml").unlink()  # moved to the root, and rewritten
    shutil.copytree(CASES / case, ws, dirs_exist_ok=True)
    assert outcomes(check(cli, ws)) == dict.fromkeys(TITLES, "passed")


# -- the solution broken one fault at a time ---------------------------------------------------

LOGIN = "docker/login-action@74a5d142397b4f367a81961eba4e8cd7edddf772"
TOP = "permissions:\n  contents: read  # every job reads the code; writes are granted per job below"
PYTEST = "      - run: python -m pytest -q\n"
# (key, what is replaced, by what, the check that fails, what its found names)
FAULTS = {
    "unpinned": (LOGIN, "docker/login-action@v3", "pinned", "uses docker/login-action @v3"),
    "write-all": (
        TOP,
        "permissions: write-all",
        "permissions",
        "`permissions: write-all` at the top",
    ),
    "top-level-write": (
        TOP,
        "permissions:\n  contents: read\n  packages: write",
        "permissions",
        "the top-level permissions grant packages: write to every job",
    ),
    "secret-in-run": (
        PYTEST,
        PYTEST + '      - run: echo "token ${{ secrets.GITHUB_TOKEN }}"\n',
        "credentials",
        "jobs.test.steps[5] puts ${{ secrets.GITHUB_TOKEN }} into its run script",
    ),
    "secret-echoed-from-env": (
        PYTEST,
        PYTEST + "      - env:\n          DEPLOY: ${{ secrets.DEPLOY_TOKEN }}\n"
        '        run: echo "deploying with $DEPLOY"\n',
        "credentials",
        "jobs.test.steps[5] prints $DEPLOY (a secret)",
    ),
    "secret-typed": (
        "password: ${{ secrets.GITHUB_TOKEN }}",
        "password: correct-horse-battery-staple",
        "credentials",
        "jobs.build.steps[5].with.password is typed into the workflow",
    ),
    "oidc-without-id-token": (
        "      id-token: write  # OIDC: short-lived AWS credentials, no stored key\n",
        "",
        "credentials",
        "assumes a role with OIDC, but job `deploy` has no `id-token: write`",
    ),
    "issue-title-in-run": (
        PYTEST,
        PYTEST + '      - run: echo "${{ github.event.issue.title }}"\n',
        "injection",
        "jobs.test.steps[5] expands ${{ github.event.issue.title }} into its script",
    ),
    "push-only": (
        '  pull_request:\n    paths:\n      - "week15-github-actions-cicd/**"\n'
        '      - ".github/workflows/housing-api.yml"\n',
        "  workflow_dispatch:\n",
        "triggers",
        ".github/workflows/housing-api.yml runs on push, workflow_dispatch",
    ),
    "no-needs": (
        "    needs: lint\n",
        "",
        "chain",
        "job `test` (test) does not wait for the lint job `lint` (its needs: nothing)",
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_fails_its_check(cli: Cli, solved_template: Path, tmp_path: Path, fault: str) -> None:
    ws = copy_of(solved_template, tmp_path)
    old, new, key, named = FAULTS[fault]
    edit(ws / WORKFLOW, old, new)
    checks = check(cli, ws, WORKFLOW_CHECKS)
    # Script injection is also an actionlint finding.
    assert failed(checks) == ({key, "actionlint"} if key == "injection" else {key}), checks
    assert named in checks[key]["found"], checks[key]["found"]


def test_a_lint_error_fails_the_replay(cli: Cli, solved_template: Path, tmp_path: Path) -> None:
    ws = copy_of(solved_template, tmp_path)
    main = ws / FOLDER / "app" / "main.py"
    main.write_text(main.read_text(encoding="utf-8") + "\n\nSPARE = undefined_name\n", "utf-8")
    checks = check(cli, ws, "test_lint_and_tests_pass")
    assert outcomes(checks) == {"commands": "failed"}
    assert "jobs.lint.steps[3] `ruff check .` exited 1" in checks["commands"]["found"]
    assert "Found 1 error." in checks["commands"]["found"]


@pytest.mark.slow  # trains and runs the API's tests: about 10 s
def test_a_failing_test_fails_the_replay(cli: Cli, solved_template: Path, tmp_path: Path) -> None:
    ws = copy_of(solved_template, tmp_path)
    edit(ws / FOLDER / "tests" / "test_api.py", "assert response.status_code == 200", "assert 0")
    checks = check(cli, ws, "test_lint_and_tests_pass")
    assert outcomes(checks) == {"commands": "failed"}
    assert "jobs.test.steps[4] `python -m pytest -q` exited 1" in checks["commands"]["found"]
