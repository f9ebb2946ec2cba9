"""Week 11's checks through the real CLI: the finished project passes; the scaffold fails where
it should; plain-text lines, leaked payloads and secrets, and alert rules that fire late, fire
on healthy traffic or lack their labels are failed checks that say what was found; and nothing
the checks start is left running.

The alert checks need no running app, so the tests on rules select them alone (-k) and take
about a second.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli
from tests.test_week09_api import check, edit, make_week, outcomes, tree_hashes

WEEK = 11
TITLES = {
    "training": "train.py saves models/linear.joblib from a clean start",
    "starts": "The app starts under uvicorn and GET /health answers 200",
    "json": "Every line the app logs is a JSON object with a time, a level and a message",
    "access": "Every request is logged with its request id, path, status and latency",
    "echo": "X-Request-ID is echoed back, and one is made when none, or an unsafe one, is sent",
    "error": "An internal error is logged with its traceback and request id, and answered in JSON",
    "leaks": "Request payloads and secrets never appear in the logs",
    "prediction": "Each prediction is logged with its request id, how many houses and the model "
    "version",
    "valid": "alerts.yml passes promtool check rules and prometheus.yml loads it",
    "complete": "alerts.yml has down, error-rate and latency alerts with for:, severity, summary, "
    "runbook",
    "down alert": "The service-down alert fires within 5 minutes of the target going down, quiet "
    "while up",
    "error alert": "The error-rate alert fires in 10 min at 10% errors, quiet at 1%, at 10 to "
    "1,000 req/min",
    "latency alert": "The latency alert fires when predictions take 3 s, quiet at 10 ms, at 10 to "
    "1,000 req/min",
    "own tests": "alerts_test.yml passes promtool test rules and tests every alert",
}
ALERTS = "rules_valid or rules_complete or alert_behaves or own_rule_tests"


def test_finished_project_passes_and_is_left_untouched(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    before = tree_hashes(week)
    checks = check(cli, week)
    assert outcomes(checks, TITLES) == dict.fromkeys(TITLES, "passed"), checks
    assert tree_hashes(week) == before


def test_scaffold_logs_no_json_and_has_one_alert(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=False)
    checks = check(cli, week)
    assert outcomes(checks, TITLES) == {
        "training": "passed",
        "starts": "passed",
        "json": "failed",
        "access": "failed",
        "echo": "failed",
        "error": "failed",
        "leaks": "passed",
        "prediction": "failed",
        "valid": "failed",
        "complete": "failed",
        "down alert": "passed",
        "error alert": "blocked",
        "latency alert": "blocked",
        "own tests": "passed",
    }
    assert '"TODO": "finish JsonFormatter"' in checks[TITLES["json"]]["found"]
    assert "no line with that request_id" in checks[TITLES["access"]]["found"]
    assert checks[TITLES["valid"]]["found"] == "its rule_files do not name alerts.yml"
    assert "no high-error-rate alert" in checks[TITLES["complete"]]["found"]


def test_plain_text_lines_and_leaks(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    config = week / "app" / "logging_config.py"
    # uvicorn's access log left as it is: plain text, one line per request.
    edit(config, '    logging.getLogger("uvicorn.access").disabled = True\n', "")
    edit(config, '    logging.getLogger("uvicorn.access").handlers.clear()\n', "")
    main = week / "app" / "main.py"
    edit(
        main,
        '"registry_token": "set" if REGISTRY_TOKEN else "unset"',
        '"registry_token": REGISTRY_TOKEN',
    )
    edit(
        main,
        'extra={"fields": {"houses": len(prices), "model_version": MODEL_VERSION}},',
        'extra={"fields": {"houses": body.model_dump(), "model_version": MODEL_VERSION}},',
    )
    checks = check(cli, week, "every_line_is_json or no_payload")
    assert outcomes(checks, TITLES) == {"json": "failed", "leaks": "failed"}
    assert '"POST /predict HTTP/1.1" 200' in checks[TITLES["json"]]["found"]
    found = checks[TITLES["leaks"]]["found"]
    assert "the secret in $MODEL_REGISTRY_TOKEN (canary-secret-" in found
    assert "the lot_area sent in a valid request (97531)" in found


def test_errors_outside_the_request_id_middleware(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(
        week / "app" / "logging_config.py",
        "        except Exception:\n",
        "        except ZeroDivisionError:\n",
    )
    checks = check(cli, week, "request_id_echoed or error_logged")
    assert outcomes(checks, TITLES) == {"echo": "failed", "error": "failed"}
    assert "GET /debug/error sent check-error-" in checks[TITLES["echo"]]["found"]
    assert "status 500: Internal Server Error" in checks[TITLES["error"]]["found"]


def test_alerts_that_fire_late_or_on_healthy_traffic(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    alerts = week / "alerts.yml"
    edit(alerts, "        for: 5m\n", "        for: 30m\n")
    # for: 30m fires too late; a 1 ms latency threshold fires at 10 ms.
    edit(
        alerts,
        'sum by (job, le) (rate(http_request_duration_seconds_bucket{job="housing-api", '
        'endpoint="/predict"}[5m]))\n          ) > 0.5',
        'sum by (job, le) (rate(http_request_duration_seconds_bucket{job="housing-api", '
        'endpoint="/predict"}[5m]))\n          ) > 0.001',
    )
    checks = check(cli, week, ALERTS)
    assert outcomes(checks, TITLES) == {
        "valid": "passed",
        "complete": "passed",
        "down alert": "passed",
        "error alert": "failed",
        "latency alert": "failed",
        "own tests": "failed",
    }
    error = checks[TITLES["error alert"]]
    assert error["found"] == (
        "HousingApiHighErrorRate did not fire at 10% errors at 10 requests a minute, 10% errors "
        "at 100 requests a minute, 10% errors at 1,000 requests a minute"
    )
    assert error["hint"].startswith("Divide the rate of 5xx answers")
    assert checks[TITLES["latency alert"]]["found"] == (
        "HousingApiSlowPredictions fired on healthy traffic: 10 ms at 10 requests a minute "
        "(firing at 50 of them), 10 ms at 100 requests a minute (firing at 50 of them), 10 ms at "
        "1,000 requests a minute (firing at 50 of them)"
    )


def test_alert_rules_incomplete_and_untested(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    alerts = week / "alerts.yml"
    edit(alerts, "        labels:\n          severity: ticket\n", "")
    edit(
        alerts,
        "      - alert: HousingApiHighErrorRate\n",
        "      - alert: HousingApiNoTraffic\n"
        "        expr: sum(rate(http_requests_total[5m])) == 0\n"
        "        for: 15m\n"
        "        labels:\n"
        "          severity: ticket\n"
        "        annotations:\n"
        '          summary: "no requests for 15 minutes"\n\n'
        "      - alert: HousingApiHighErrorRate\n",
    )
    checks = check(cli, week, ALERTS)
    assert outcomes(checks, TITLES)["complete"] == "failed"
    assert checks[TITLES["complete"]]["found"] == "HousingApiSlowPredictions lacks a severity label"
    assert checks[TITLES["own tests"]]["outcome"] == "failed"
    # The learner's own test expects severity: ticket, which is gone.
    assert "HousingApiSlowPredictions" in checks[TITLES["own tests"]]["found"]


def test_untested_alert(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(
        week / "alerts.yml",
        "      - alert: HousingApiHighErrorRate\n",
        "      - alert: HousingApiNoTraffic\n"
        "        expr: sum(rate(http_requests_total[5m])) == 0\n"
        "        for: 15m\n"
        "        labels:\n"
        "          severity: ticket\n"
        "        annotations:\n"
        '          summary: "no requests for 15 minutes"\n\n'
        "      - alert: HousingApiHighErrorRate\n",
    )
    checks = check(cli, week, "own_rule_tests")
    assert checks[TITLES["own tests"]]["found"] == "none for HousingApiNoTraffic"


def test_broken_rules_and_missing_rule_files(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(week / "prometheus.yml", "rule_files:", "# rule_files:")
    edit(week / "prometheus.yml", "  - alerts.yml\n", "")
    checks = check(cli, week, "rules_valid")
    assert checks[TITLES["valid"]]["found"] == "its rule_files do not name alerts.yml"
    edit(week / "alerts.yml", "        for: 5m\n", "        for: five minutes\n")
    checks = check(cli, week, ALERTS)
    assert outcomes(checks, TITLES)["valid"] == "failed"
    assert "five minutes" in checks[TITLES["valid"]]["found"]
