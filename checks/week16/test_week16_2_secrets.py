"""Week 16: no secret in the files git would commit or in their history, and bandit is clean.

The secret scanner (``mlops_checks.secret_scan``) reads the files of the week folder that git
tracks or would add (git-ignored files such as .env are the right place for local secrets) and
the lines every commit added to the folder. bandit runs in a subprocess on the folder's code.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import secret_scan as scanner
from mlops_roadmap.checking import blocked, expect, fail

GIT_TIMEOUT = 60
BANDIT_TIMEOUT = 180  # the solution's folder takes about 1 s
SKIP_DIRS = {".venv", "venv", "__pycache__", ".git", ".ipynb_checkpoints", ".pytest_cache"}
pytestmark = pytest.mark.timeout(420)


def git_files(run: Callable[..., Any], week_dir: Path) -> list[str]:
    """The files of the week folder that git tracks or would add, relative to it."""
    result = run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=week_dir,
        timeout=GIT_TIMEOUT,
    )
    if result.returncode != 0:
        blocked(
            f"`git ls-files` failed in {week_dir}: {result.tail(3)}",
            hint="Work inside the workspace, the git repository `mlops-roadmap init` made.",
        )
    names = sorted({n for n in result.stdout.split("\0") if n})
    return [n for n in names if not SKIP_DIRS & set(Path(n).parts)]


def history(run: Callable[..., Any], week_dir: Path) -> str:
    """Every commit's added lines under the week folder (empty before the first commit)."""
    result = run(
        ["git", "log", "-p", "-U0", "--all", "--no-color", "--no-ext-diff", "--format=commit %H",
         "--", "."],
        cwd=week_dir,
        timeout=GIT_TIMEOUT,
    )  # fmt: skip
    return result.stdout if result.returncode == 0 else ""


def scan_folder(run: Callable[..., Any], week_dir: Path) -> list[Any]:
    findings: list[Any] = []
    for name in git_files(run, week_dir):
        path = week_dir / name
        if Path(name).name == ".env":
            findings.append(
                scanner.Finding(name, "a .env file that git would commit", "it is not ignored")
            )
        try:
            if path.is_symlink() or path.stat().st_size > scanner.MAX_BYTES:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue  # binary: a model, an image
        findings += scanner.scan_text(name, data.decode("utf-8", errors="replace"))
    return findings + scanner.scan_history(history(run, week_dir))


@pytest.mark.points(2)
@pytest.mark.requires("git")
@pytest.mark.hint("Read secrets with os.environ['NAME']; keep local values in a git-ignored .env.")
def test_no_secrets_in_the_week_folder(run: Callable[..., Any], week_dir: Path) -> None:
    """A secret scan of the week folder and its git history finds nothing"""
    findings = scan_folder(run, week_dir)
    expect(
        not findings,
        expected="no credential, password or token literal, random-looking key, or hard-coded "
        "fallback secret in the files git would commit from the week folder, nor in any "
        "commit's changes to it",
        found="; ".join(str(f) for f in findings[:6])
        + (f"; and {len(findings) - 6} more" if len(findings) > 6 else ""),
        hint="Read every secret from the environment with no default (os.environ['JWT_SECRET'], "
        "failing when it is missing), keep local values in .env and list .env in .gitignore. "
        "A secret that was ever committed is leaked: rotate it, then rewrite the history "
        "(git filter-repo). A test-only value can carry `# pragma: allowlist secret`.",
    )


def bandit_command(run: Callable[..., Any], learner_python: Path) -> list[str]:
    """bandit from the learner's environment, else from the course's, else blocked."""
    for python in (str(learner_python), sys.executable):
        probe = run([python, "-m", "bandit", "--version"], timeout=60)
        if probe.returncode == 0:
            return [python, "-m", "bandit"]
    blocked(
        "bandit is not installed in the workspace virtual environment",
        hint="Install the week's requirements: `.venv/bin/pip install -r "
        "<week folder>/requirements.txt` (it lists bandit).",
    )


@pytest.mark.points(1)
@pytest.mark.hint("Run `bandit -r . -x ./.venv` in the week folder and fix every HIGH issue.")
def test_bandit_finds_no_high_severity_issue(
    run: Callable[..., Any], learner_python: Path, week_dir: Path
) -> None:
    """bandit finds no high-severity issue in the week folder's code"""
    excluded = ",".join(f"./{d}" for d in sorted(SKIP_DIRS))
    command = [*bandit_command(run, learner_python), "-r", ".", "-f", "json", "-q", "-x", excluded]
    result = run(command, cwd=week_dir, timeout=BANDIT_TIMEOUT)
    try:
        report = json.loads(result.stdout)
        issues = report["results"]
    except (ValueError, KeyError, TypeError):
        fail(
            expected="bandit to scan the week folder and print its JSON report",
            found=f"exit status {result.returncode}: {result.tail(6)}",
            hint="Run `bandit -r . -x ./.venv` yourself in the week folder.",
        )
    high = [i for i in issues if str(i.get("issue_severity", "")).upper() == "HIGH"]
    expect(
        not high,
        expected="no HIGH severity issue from `bandit -r .` in the week folder",
        found="; ".join(
            f"{Path(i['filename']).as_posix().removeprefix('./')}:{i['line_number']} "
            f"{i['test_id']} {i['issue_text']}"
            for i in high[:5]
        ),
        hint="Fix what bandit reports (its more_info link explains each issue). MD5 or SHA-1 "
        "for security is B324: use hmac with hashlib.sha256 and a key instead. Silence a "
        "real false positive with `# nosec B<id>` and say why on that line.",
    )
