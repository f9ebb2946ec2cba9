"""Week 11's checks judged both ways: submissions each check must fail (mutations of the
reference solution, each run breaking each selected check once) and a right submission written
differently from the lesson (tests/fixtures/week11/) that every check must pass: its own JSON
keys (time, severity, msg) on stderr through dictConfig, latency_ms, the prediction told in the
message, and alerts of its own names, thresholds and for: built on recording rules.
"""

from __future__ import annotations

import pytest

from tests.conftest import Cli
from tests.shared_week import Shared, prepare
from tests.test_week09_api import check, edit, lay, outcomes
from tests.test_week11_logging import TITLES

WEEK = 11
ERROR_RATIO = """          sum by (job) (rate(http_requests_total{job="housing-api", status=~"5.."}[5m]))
            / sum by (job) (rate(http_requests_total{job="housing-api"}[5m])) > 0.05
"""
P95 = """          histogram_quantile(0.95,
            sum by (job, le) (rate(http_request_duration_seconds_bucket{job="housing-api", endpoint="/predict"}[5m]))
          ) > 0.5
"""
RUNBOOK = '          runbook_url: "https://github.com/YOU/REPO/blob/main/RUNBOOK.md#housingapi{}"\n'


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Shared:
    """One workspace (scaffold and virtual environment) for the module's cases."""
    return prepare(tmp_path_factory, WEEK)


def test_right_submission_passes(cli: Cli, shared: Shared) -> None:
    week = lay(shared, solved=False, case="right-recorded-rules")
    checks = check(cli, week)
    assert outcomes(checks, TITLES) == dict.fromkeys(TITLES, "passed"), checks


def test_alerts_on_counts_instead_of_ratios(cli: Cli, shared: Shared) -> None:
    """Right at 100 requests a minute, wrong at 10 and 1,000: only more than one rate shows."""
    week = lay(shared)
    alerts = week / "alerts.yml"
    edit(
        alerts,
        ERROR_RATIO,
        '          sum by (job) (increase(http_requests_total{job="housing-api", '
        'status=~"5.."}[5m])) > 25\n',
    )
    edit(
        alerts,
        P95,
        "          sum by (job) (rate(http_request_duration_seconds_sum"
        '{job="housing-api", endpoint="/predict"}[5m])) > 0.1\n',
    )
    checks = check(cli, week, "error_alert or latency_alert")
    assert outcomes(checks, TITLES) == {"error alert": "failed", "latency alert": "failed"}
    error = checks[TITLES["error alert"]]
    assert error["found"] == (
        "HousingApiHighErrorRate did not fire at 10% errors at 10 requests a minute; "
        "HousingApiHighErrorRate fired on healthy traffic: 1% errors at 1,000 requests a minute "
        "(firing at 53 of them)"
    )
    assert error["hint"].startswith("Alert on the share of 5xx answers, not on a count")
    latency = checks[TITLES["latency alert"]]
    assert latency["found"].startswith(
        "HousingApiSlowPredictions fired on healthy traffic: 10 ms at 1,000 requests a minute"
    )
    assert latency["hint"].startswith("Alert on a quantile of the request durations")


def test_down_alert_on_the_wrong_job_and_no_runbooks(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    alerts = week / "alerts.yml"
    edit(alerts, 'expr: up{job="housing-api"} == 0', 'expr: up{job="housing"} == 0')
    edit(alerts, RUNBOOK.format("higherrorrate"), "")
    edit(alerts, RUNBOOK.format("slowpredictions"), "")
    checks = check(cli, week, "rules_complete or down_alert")
    assert outcomes(checks, TITLES) == {"complete": "failed", "down alert": "failed"}
    assert checks[TITLES["complete"]]["found"] == (
        "HousingApiHighErrorRate lacks a runbook_url annotation; HousingApiSlowPredictions lacks "
        "a runbook_url annotation"
    )
    assert checks[TITLES["down alert"]]["found"] == (
        "HousingApiDown did not fire at the target down"
    )


def test_unlogged_prediction_an_error_without_its_traceback_and_any_id_trusted(
    cli: Cli, shared: Shared
) -> None:
    week = lay(shared)
    edit(
        week / "app" / "logging_config.py",
        're.compile(r"^[A-Za-z0-9-]{1,64}$")',
        're.compile(r"^[A-Za-z0-9-]+$")',
    )
    edit(
        week / "app" / "main.py",
        '    log.info(\n        "prediction served",\n'
        '        extra={"fields": {"houses": len(prices), "model_version": MODEL_VERSION}},\n'
        "    )\n",
        "",
    )
    edit(
        week / "app" / "logging_config.py",
        '            log.exception("unhandled error on %s %s", request.method, request.url.path)',
        '            log.error("unhandled error on %s %s", request.method, request.url.path)',
    )
    checks = check(cli, week, "prediction_logged or error_logged or request_id_echoed")
    assert outcomes(checks, TITLES) == {"echo": "failed", "prediction": "failed", "error": "failed"}
    echo = checks[TITLES["echo"]]
    assert echo["found"].startswith(
        "GET /health sent an X-Request-ID of 2,014 characters, got it back (long"
    )
    assert echo["found"].endswith("; the 2,014-character X-Request-ID reached the log")
    assert echo["hint"].startswith("Validate the incoming id before you use it")
    assert checks[TITLES["prediction"]]["found"] == "no such line"
    found = checks[TITLES["error"]]["found"]
    assert found.startswith('none; that request\'s lines: {"ts": ')
    assert '"message": "unhandled error on GET /debug/error"' in found


def test_training_that_fails(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    edit(week / "train.py", "def main() -> int:\n", "def main() -> int:\n    1 / 0\n")
    checks = check(cli, week, "training or app_starts or every_line")
    assert outcomes(checks, TITLES) == {
        "training": "failed",
        "starts": "blocked",
        "json": "blocked",
    }
    assert "ZeroDivisionError" in checks[TITLES["training"]]["found"]


def test_app_that_does_not_start(cli: Cli, shared: Shared) -> None:
    """The JSON formatter breaks at import: the start-up fails with its traceback shown, and
    the log checks are blocked rather than failed."""
    week = lay(shared)
    edit(
        week / "app" / "logging_config.py", "import uuid\n", "import uuid\nimport no_such_logger\n"
    )
    checks = check(cli, week, "app_starts or every_line or request_id")
    assert outcomes(checks, TITLES) == {"starts": "failed", "json": "blocked", "echo": "blocked"}
    assert "No module named 'no_such_logger'" in checks[TITLES["starts"]]["found"]


def test_alert_tests_that_only_expect_firing(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    edit(
        week / "alerts_test.yml",
        "      - eval_time: 3m                      # just went down: pending, not firing\n"
        "        alertname: HousingApiDown\n"
        "        exp_alerts: []\n",
        "",
    )
    checks = check(cli, week, "own_rule_tests")
    assert checks[TITLES["own tests"]]["outcome"] == "failed"
    assert checks[TITLES["own tests"]]["found"] == "HousingApiDown only firing"
