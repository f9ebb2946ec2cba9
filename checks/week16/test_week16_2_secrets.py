"""Week 16: no secret in the files git would commit or in their history, the app needs a real
JWT_SECRET, and bandit is clean.

The secret scanner (``mlops_checks.secret_scan``) reads the files of the week folder that git
tracks or would add (git-ignored files such as .env are the right place for local secrets) and
the lines every commit added to the folder. A hard-coded secret is also looked for by what the
app does (the `without_secret` fixture): started without JWT_SECRET, with an empty one and
with a short one, it must refuse to start, or accept no token signed with the secret it was
given or with any string of its code. bandit runs in a subprocess on the folder's code.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import token_checks
from mlops_checks.committed import SKIP_DIRS, scan_committed
from mlops_roadmap.checking import blocked, expect, fail

BANDIT_TIMEOUT = 180  # the solution's folder takes about 1 s
# Room for the API's session (train.py, a start, the requests) and three more starts.
pytestmark = pytest.mark.timeout(900)


@pytest.mark.points(2)
@pytest.mark.requires("git")
@pytest.mark.hint("Read secrets with os.environ['NAME']; keep local values in a git-ignored .env.")
def test_no_secrets_in_the_week_folder(run: Callable[..., Any], week_dir: Path) -> None:
    """A secret scan of the week folder and its git history finds nothing"""
    findings = scan_committed(run, week_dir)
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


# -- the app started without a real secret ---------------------------------------------------------

test_app_needs_a_real_secret = token_checks.test_app_needs_a_real_secret  # shared


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
