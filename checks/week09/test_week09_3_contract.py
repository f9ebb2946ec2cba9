"""Week 9: the API keeps its published contract under generated input, and its own tests pass.

Schemathesis 4 runs in the learner's interpreter (`python -m schemathesis.cli run`) against the
running app's /openapi.json with a fixed seed and a bounded number of examples, in a temporary
folder (it writes caches into its working directory, never into the week folder).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import api
from mlops_roadmap.checking import blocked, expect, fail

SCHEMATHESIS_TIMEOUT = 240  # the solution takes about 8 s
PYTEST_TIMEOUT = 240  # the solution's 12 tests take about 5 s
MAX_EXAMPLES = 25  # per operation and phase: enough to hit the boundaries, quick
SEED = 909
MIN_TESTS = 4
# Quiet, no cache files, no warnings summary (deprecations would bury the result), short
# tracebacks: the failure message quotes the end of this output.
PYTEST_ARGS = ("-q", "-p", "no:cacheprovider", "-p", "no:warnings", "--tb=short")
pytestmark = pytest.mark.timeout(600)


def schemathesis_args(url: str) -> list[str]:
    return [
        "-m",
        "schemathesis.cli",
        "run",
        f"{url}/openapi.json",
        "--checks",
        "not_a_server_error",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--generation-database",
        "none",
        "--no-color",
    ]


def failures_excerpt(output: str, lines: int = 14) -> str:
    """The FAILURES section of schemathesis' report (what failed, and a curl to reproduce it)."""
    text = output.split("= FAILURES =", 1)[-1].split("= SUMMARY =", 1)[0]
    kept = [ln.rstrip() for ln in text.splitlines() if ln.strip() and not ln.startswith("=")]
    return "\n".join(kept[:lines]) or output.strip()[-800:]


@pytest.mark.points(2)
def test_no_server_error_on_generated_requests(
    run: Callable[..., Any],
    learner_python: Path,
    app_run: api.AppRun,
    tmp_path: Path,
) -> None:
    """Schemathesis finds no server error against the app's own OpenAPI schema"""
    server = api.require_server(app_run)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEMATHESIS_")}
    env["NO_COLOR"] = "1"
    result = run(
        [learner_python, *schemathesis_args(server.url)],
        cwd=tmp_path,
        env=env,
        timeout=SCHEMATHESIS_TIMEOUT,
    )
    output = result.stdout + result.stderr
    if "No module named schemathesis" in output or "No such option" in output:
        blocked(
            f"schemathesis 4 is not installed in the workspace virtual environment: "
            f"{result.tail(2)}",
            hint="`.venv/bin/pip install 'schemathesis>=4'` from the workspace root.",
        )
    if result.timed_out:
        fail(
            expected=f"schemathesis to finish within {SCHEMATHESIS_TIMEOUT} s",
            found="it was still running, so it was stopped: some requests take very long",
            hint="Run the same command yourself (see the lesson) and watch which requests hang.",
        )
    if result.returncode == 0:
        return
    server_errors = re.search(r"Server error|ST101", output)
    expect(
        not server_errors,
        expected="no 5xx answer to the requests schemathesis generates from /openapi.json "
        f"(seed {SEED}, at most {MAX_EXAMPLES} examples per operation and phase)",
        found=failures_excerpt(output),
        hint="Tighten app/schemas.py so that every value it accepts is one the model can "
        "handle (bounded numbers, known categories, 1 to 1000 houses); reproduce with "
        "`schemathesis run http://127.0.0.1:8000/openapi.json --checks not_a_server_error`.",
    )
    fail(
        expected="schemathesis to load /openapi.json and test the API",
        found=failures_excerpt(output),
        hint="Open http://127.0.0.1:8000/openapi.json in a browser: it must be the schema "
        "FastAPI generates (keep openapi_url at its default).",
    )


@pytest.mark.points(1)
@pytest.mark.hint("Run `python -m pytest -q` from the week folder and fix what fails.")
def test_own_tests_pass(run: Callable[..., Any], learner_python: Path, app_run: api.AppRun) -> None:
    """The week's own pytest suite passes"""
    if not app_run.trained:
        blocked(
            "train.py did not make models/linear.joblib, which the tests load",
            hint="Make the check 'train.py saves models/linear.joblib from a clean start' "
            "pass first.",
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    result = run(
        [learner_python, "-m", "pytest", *PYTEST_ARGS],
        cwd=app_run.folder,
        env=env,
        timeout=PYTEST_TIMEOUT,
    )
    summary = result.tail(12)
    passed = re.search(r"(\d+) passed", result.stdout)
    count = int(passed.group(1)) if passed else 0
    expect(
        result.returncode == 0 and count >= MIN_TESTS,
        expected=f"`python -m pytest` in a fresh copy of the week folder (after train.py) to "
        f"pass with at least {MIN_TESTS} tests: the success path, validation errors and the "
        "500 path",
        found=f"exit status {result.returncode}, {count} passed:\n{summary}"
        if not result.timed_out
        else f"still running after {PYTEST_TIMEOUT} s, so it was stopped",
        hint="Finish the TODOs in tests/test_api.py; use TestClient(app, "
        "raise_server_exceptions=False) inside a `with` block.",
    )
