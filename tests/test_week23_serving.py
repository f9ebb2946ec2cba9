"""Week 23's API regression suite judged both ways through the real CLI: the checks of weeks 9
(contract), 10 (metrics) and 16 (authentication), run again on the capstone's app, pass on the
reference solution and on an app that checks its secret differently, and each wrong capstone
fails the check of its group, for its own reason, named in `found`.

The workspace is the one `course verify` makes (`Capstone` of test_week23_cases.py); every case
puts the week folder back to the solution first.
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests.conftest import REPO, Cli
from tests.test_week09_api import check, edit, outcomes
from tests.test_week23_cases import Capstone

SELECT = "serving"
TITLES = {
    "training": "train.py saves models/linear.joblib from a clean start",
    "starts": "The app starts under uvicorn and GET /health answers 200",
    # week 9's contract, every request with a valid token
    "predictions": "POST /predict returns what the learner's model itself predicts",
    "422": "Missing, mistyped, out-of-range and unexpected fields get 422 naming the field",
    "malformed": "Malformed JSON gets a 4xx answer, not a server error",
    "500": "An internal error answers 500 in JSON, without a traceback",
    # week 10's metrics
    "parse": "GET /metrics parses as the Prometheus exposition format",
    "counter": "A request counter labelled by method, route and status rises by exactly the "
    "requests",
    "labels": "Metric labels hold route templates, never raw URLs",
    "latency": "A latency histogram times the prediction requests in seconds, with consistent "
    "buckets",
    "prices": "A histogram of predicted prices records every price the app returns, in dollars",
    # week 16's authentication
    "no token": "Without a bearer token, /predict and /admin/reload answer 401 with "
    "WWW-Authenticate",
    "bad tokens": "Wrong, forged, unsigned, expired, never-expiring or subjectless tokens get 401",
    "scope": "A valid token without the endpoint's scope gets 403 (predict, admin)",
    "valid": "Valid tokens with the right scope get 200, and /predict answers what the model "
    "predicts",
    "secret": "A missing, empty or 8-character JWT_SECRET stops the app, or it accepts no token "
    "at all",
}


@pytest.fixture(scope="module")
def capstone(tmp_path_factory: pytest.TempPathFactory) -> Capstone:
    return Capstone(tmp_path_factory.mktemp("week23-serving"))


def found(checks: dict[str, dict[str, object]], key: str) -> str:
    return str(checks[TITLES[key]]["found"])


@pytest.mark.slow
def test_the_solution_passes_every_regression_check(cli: Cli, capstone: Capstone) -> None:
    week = capstone.reset()
    checks = check(cli, week, SELECT)
    assert outcomes(checks, TITLES) == dict.fromkeys(TITLES, "passed"), checks
    assert len(checks) == len(TITLES)


@pytest.mark.slow
def test_an_app_that_reads_its_secret_per_request_passes(cli: Cli, capstone: Capstone) -> None:
    """Right but different: no JWT_SECRET check at start-up, so the app starts without one,
    but then it accepts no token at all (each answer is an error, never a 2xx)."""
    week = capstone.reset()
    edit(
        week / "app" / "main.py",
        "    jwt_secret()  # a missing or short secret stops the start-up, not the first request\n",
        "",
    )
    checks = check(cli, week, SELECT)
    assert outcomes(checks, TITLES) == dict.fromkeys(TITLES, "passed"), checks


SCHEMAS_QUAL = 'overall_qual: int = Field(ge=1, le=10, description="Overall material and finish'
# case: (the check it fails, the change to the solution, what `found` names)
WRONG: dict[str, tuple[str, str, tuple[str, str, str], str]] = {
    "a contract that accepts an out-of-range quality (a 200 on invalid input)": (
        "422",
        "test_invalid_input_gets_422",
        ("app/schemas.py", SCHEMAS_QUAL, 'overall_qual: int = Field(description="Overall '
         "material and finish"),
        "overall_qual 11: status 200 (accepted)",
    ),
    "a request counter that never counts a 500": (
        "counter",
        "test_counter_counts_exactly",
        ("app/main.py", "start, status = time.perf_counter(), 500",
         "start, status = time.perf_counter(), 200"),
        "up by 0; the 500 series: none",
    ),
    "a secret with a hard-coded fallback": (
        "secret",
        "test_app_needs_a_real_secret",
        ("app/security.py", 'secret = os.environ.get("JWT_SECRET", "")',
         'secret = os.environ.get("JWT_SECRET") or "dev-secret-only-for-local-runs-0123456789"'),
        "with JWT_SECRET not set, the app started and accepted a token signed with the string "
        "'dev-…' (41 characters) from app/security.py",
    ),
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("case", list(WRONG), ids=lambda c: re.sub(r"\W+", "-", c))
def test_a_wrong_capstone_fails_its_weeks_check(cli: Cli, capstone: Capstone, case: str) -> None:
    key, select, (path, old, new), named = WRONG[case]
    week = capstone.reset()
    edit(week / path, old, new)
    checks = check(cli, week, f"{SELECT} and {select}")
    assert outcomes(checks, TITLES) == {key: "failed"}, checks
    assert named in found(checks, key), found(checks, key)


@pytest.mark.slow
def test_an_app_without_authentication_fails_week_16s_checks(cli: Cli, capstone: Capstone) -> None:
    """The scaffold's app (week 11's, no tokens at all) in the finished capstone: it serves
    anyone, and it has no /admin/reload."""
    week = capstone.reset()
    shutil.copyfile(REPO / "templates" / "week23" / "app" / "main.py", week / "app" / "main.py")
    checks = check(cli, week, f"{SELECT} and (401 or secret)")
    assert outcomes(checks, TITLES) == {
        "no token": "failed",
        "bad tokens": "failed",
        "secret": "failed",
    }, checks
    assert "no Authorization header to POST /predict: HTTP 200" in found(checks, "no token")
    assert "a random secret (the app checks no signature)" in found(checks, "secret")
