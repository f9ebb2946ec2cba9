"""Prometheus alert rules judged by promtool: the checks week 11 teaches, collected unchanged by
the weeks that carry its rules on (the capstone, week 23) so they run again there.

promtool judges everything: `check rules`, `check config`, and `test rules` on check-owned
cases written into a temporary folder (the learner's files are only read). The cases are
described in alerting.py and in week 11's lesson. A week collects the checks by importing them
into one of its test modules (pytest collects what a module holds); they keep their titles,
points and markers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import alerting, api
from mlops_roadmap.checking import blocked, expect, expect_file, expect_none, fail
from mlops_roadmap.procs import ProcessResult

__all__ = [
    "promtool_said",
    "test_down_alert_behaves",
    "test_error_alert_behaves",
    "test_latency_alert_behaves",
    "test_own_rule_tests",
    "test_rules_complete",
    "test_rules_valid",
]

STRUCTURE_TITLE = (
    "alerts.yml has down, error-rate and latency alerts with for:, severity, summary, runbook"
)
VALID_TITLE = "alerts.yml passes promtool check rules and prometheus.yml loads it"


def alerts_path(week_dir: Path) -> Path:
    path = expect_file(week_dir, "alerts.yml")
    return path


def rules_or_block(week_dir: Path) -> tuple[list[Path], list[Any]]:
    """The rule files and their rules, or blocked when they cannot be read."""
    path = week_dir / "alerts.yml"
    try:
        paths = alerting.rule_files(week_dir, path)
        return paths, alerting.load_rules(paths)
    except ValueError as exc:
        blocked(
            f"the rule files cannot be read: {exc}",
            hint=f"Make the check '{VALID_TITLE}' pass first.",
        )


@pytest.mark.requires("promtool")
@pytest.mark.points(1)
def test_rules_valid(week_dir: Path, run: Callable[..., Any]) -> None:
    """alerts.yml passes promtool check rules and prometheus.yml loads it"""
    path = alerts_path(week_dir)
    promtool = api.promtool()
    result = run([promtool, "check", "rules", path], cwd=week_dir, timeout=60)
    expect(
        result.returncode == 0,
        expected="`promtool check rules alerts.yml` to succeed",
        found=promtool_said(result),
        hint="Fix what promtool names: YAML indentation, expr syntax, a duration such as 5m.",
    )
    expect(
        alerting.loaded_by_config(week_dir, path),
        expected="prometheus.yml to load alerts.yml (rule_files)",
        found="its rule_files do not name alerts.yml",
        hint='Add at the top level of prometheus.yml: rule_files: ["alerts.yml"] (and mount '
        "alerts.yml next to prometheus.yml in compose.yaml).",
    )
    result = run(
        [promtool, "check", "config", week_dir / "prometheus.yml"], cwd=week_dir, timeout=60
    )
    expect(
        result.returncode == 0,
        expected="`promtool check config prometheus.yml` to succeed",
        found=promtool_said(result),
        hint="Fix what promtool names.",
    )


# (kind, what the lesson calls it, how the check knows it)
ALERTS = (
    ("down", "service-down", "Prometheus' up series"),
    ("error", "high-error-rate", f'{alerting.COUNTER} with status=~"5.."'),
    ("latency", "high-latency", f"{alerting.HISTOGRAM}_bucket"),
)


@pytest.mark.points(2)
def test_rules_complete(week_dir: Path) -> None:
    """alerts.yml has down, error-rate and latency alerts with for:, severity, summary, runbook"""
    alerts_path(week_dir)
    _, rules = rules_or_block(week_dir)
    problems = []
    for kind, words, how in ALERTS:
        found = alerting.KINDS[kind](rules)
        if not found:
            problems.append(f"no {words} alert (an alert whose expr uses {how})")
        elif all(alerting.shortcomings(r) for r in found):
            problems += [f"{r.alert} lacks {', '.join(alerting.shortcomings(r))}" for r in found]
    expect_none(
        problems,
        expected="three alerts: the service down (up == 0), the share of 5xx answers (the "
        f'week 10 counter, {alerting.COUNTER}{{status=~"5.."}}) and the latency (the week 10 '
        f"histogram, {alerting.HISTOGRAM}), each with a for: duration, a severity label and "
        "summary and runbook_url annotations",
        hint="See the scaffold's HousingApiDown and the lesson's HousingApiHighErrorRate; the "
        "latency alert is the p95 from histogram_quantile(0.95, sum by (job, le) "
        "(rate(..._bucket{...}[5m]))) > 0.5.",
    )


def case_run(
    run: Callable[..., Any], paths: list[Path], cases: list[alerting.Case], test: Path
) -> dict[int, str]:
    """The check-owned cases through one `promtool test rules`: failed case -> what promtool
    got instead; a broken run fails the check with promtool's words."""
    test.write_text(alerting.cases_file(paths, cases), encoding="utf-8")
    result = run([api.promtool(), "test", "rules", test], cwd=test.parent, timeout=60)
    if result.returncode == 0:
        return {}
    failed = alerting.failed_cases(result.stdout + result.stderr)
    if not failed:
        fail(
            expected="`promtool test rules` to run the check's cases on your rules",
            found=promtool_said(result),
            hint=f"Make the check '{VALID_TITLE}' pass first.",
        )
    return failed


def evaluations(got: str) -> str:
    """'firing at N of the minute-by-minute evaluations', from promtool's got: value."""
    match = re.search(r"\} ([0-9.eE+]+)$", got)
    return f"firing at {float(match.group(1)):g} of them" if match else f"got {got}"


def behaviour(
    kind: str, run: Callable[..., Any], week_dir: Path, tmp_path: Path
) -> tuple[list[str], list[str]]:
    """Every alert of ``kind`` in the rule files put through the check's own cases: (the
    alerts that behaved, why each other one did not); blocked when there is none."""
    paths, rules = rules_or_block(week_dir)
    candidates = alerting.KINDS[kind](rules)
    words = next(w for k, w, _ in ALERTS if k == kind)
    if not candidates:
        blocked(
            f"alerts.yml has no {words} alert yet",
            hint=f"Make the check '{STRUCTURE_TITLE}' pass first.",
        )
    make = {"down": alerting.down_cases, "error": alerting.error_cases}
    buckets = alerting.buckets_for(rules)
    good, problems = [], []
    for rule in candidates:
        assert rule.alert is not None
        cases = make.get(kind, alerting.latency_cases)(rule.alert, buckets)
        failed = case_run(run, paths, cases, tmp_path / f"{kind}-{rule.alert}.yml")
        late = [cases[n].name for n in failed if cases[n].fires]
        noisy = [
            f"{cases[n].name} ({evaluations(failed[n])})" for n in failed if not cases[n].fires
        ]
        if late:
            problems.append(f"{rule.alert} did not fire at {', '.join(late)}")
        if noisy:
            problems.append(f"{rule.alert} fired on healthy traffic: {', '.join(noisy)}")
        if not failed:
            good.append(rule.alert)
    return good, problems


def rate_hint(problems: list[str], ratio: str) -> str:
    """The hint for an alert right at some traffic rates and wrong at others."""
    text = " ".join(problems)
    wrong = [r for r in alerting.RATES if f" {r:,} requests a minute" in text]
    if not wrong or len(wrong) == len(alerting.RATES):
        return ""
    return (
        f"Alert on {ratio}, not on a count: a count grows with traffic, so it stays quiet on "
        "light traffic and fires on heavy healthy traffic (the check tries "
        f"{', '.join(f'{r:,}' for r in alerting.RATES)} requests a minute). "
    )


@pytest.mark.requires("promtool")
@pytest.mark.points(1)
def test_down_alert_behaves(week_dir: Path, run: Callable[..., Any], tmp_path: Path) -> None:
    """The service-down alert fires within 5 minutes of the target going down, quiet while up"""
    good, problems = behaviour("down", run, week_dir, tmp_path)
    expect(
        good and not problems,
        expected=f'with up{{job="{alerting.JOB}"}} 1 for 20 minutes then 0: firing 5 minutes '
        "later; and never firing in an hour while it stays 1",
        found="; ".join(problems),
        hint='up{job="housing-api"} == 0 with for: 2m (the scaffold\'s HousingApiDown).',
    )


@pytest.mark.requires("promtool")
@pytest.mark.points(2)
def test_error_alert_behaves(week_dir: Path, run: Callable[..., Any], tmp_path: Path) -> None:
    """The error-rate alert fires in 10 min at 10% errors, quiet at 1%, at 10 to 1,000 req/min"""
    good, problems = behaviour("error", run, week_dir, tmp_path)
    expect(
        good and not problems,
        expected=f'job="{alerting.JOB}" at 10, 100 and 1,000 requests a minute: firing 10 '
        "minutes after the share of 5xx answers jumps from 0% to 10%, and never firing in an "
        "hour at 1%",
        found="; ".join(problems),
        hint=rate_hint(problems, "the share of 5xx answers")
        + "Divide the rate of 5xx answers by the rate of all answers, both summed by job, over "
        "[5m], with `> 0.05` and `for: 5m`; a longer window or for: fires too late.",
    )


@pytest.mark.requires("promtool")
@pytest.mark.points(1)
def test_latency_alert_behaves(week_dir: Path, run: Callable[..., Any], tmp_path: Path) -> None:
    """The latency alert fires when predictions take 3 s, quiet at 10 ms, at 10 to 1,000 req/min"""
    good, problems = behaviour("latency", run, week_dir, tmp_path)
    expect(
        good and not problems,
        expected="on /predict at 10, 100 and 1,000 requests a minute: firing 30 minutes after "
        "every request starts taking 3 s, and never firing in an hour at 10 ms",
        found="; ".join(problems),
        hint=rate_hint(problems, "a quantile of the request durations")
        + "histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_"
        'bucket{job="housing-api", endpoint="/predict"}[5m]))) > 0.5 with for: 10m.',
    )


@pytest.mark.requires("promtool")
@pytest.mark.points(2)
def test_own_rule_tests(week_dir: Path, run: Callable[..., Any]) -> None:
    """alerts_test.yml passes promtool test rules and tests every alert"""
    path = expect_file(week_dir, "alerts_test.yml")
    result = run([api.promtool(), "test", "rules", path], cwd=week_dir, timeout=120)
    expect(
        result.returncode == 0,
        expected="`promtool test rules alerts_test.yml` to succeed",
        found=promtool_said(result),
        hint="Compare promtool's exp: and got: lines; expected labels and annotations must "
        "match the templated ones exactly.",
    )
    try:
        alerts = {r.alert for r in alerting.load_rules([alerts_path(week_dir)]) if r.alert}
    except ValueError as exc:
        fail(expected="alerts.yml to be YAML", found=str(exc), hint="Fix its syntax.")
    tested = alerting.tested_alerts(path)
    untested = [
        f"none for {alert}"
        if alert not in tested
        else f"{alert} only {'firing' if True in tested[alert] else 'quiet'}"
        for alert in sorted(alerts)
        if tested.get(alert) != {True, False}
    ]
    expect_none(
        untested,
        expected="alert_rule_test cases in alerts_test.yml for every alert in alerts.yml: one "
        "where it must stay quiet (exp_alerts: []) and one where it must fire",
        hint="Add a test group per alert: healthy input series where exp_alerts is [], bad ones "
        "where the alert fires with its labels and annotations.",
    )


def promtool_said(result: ProcessResult) -> str:
    """promtool's verdict without its banner lines."""
    lines = [
        ln.strip()
        for ln in (result.stdout + result.stderr).splitlines()
        if ln.strip() and not ln.startswith(("Unit Testing:", "Checking "))
    ]
    return " ".join(lines)[:600] or f"exit status {result.returncode}"
