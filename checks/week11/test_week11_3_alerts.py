"""Week 11: the alerting rules are valid, complete and behave, and their own tests pass.

promtool judges everything: `check rules`, `check config`, and `test rules` on check-owned
cases written into a temporary folder (the learner's files are only read). The cases are
described in alerting.py and in the lesson.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import alerting, api
from mlops_roadmap.checking import blocked, expect, expect_file, expect_none, fail

pytestmark = pytest.mark.timeout(300)
STRUCTURE_TITLE = "alerts.yml has an error-rate and a latency alert with for:, severity and summary"
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


def promtool_said(result: Any) -> str:
    """promtool's verdict without its banner lines."""
    lines = [
        ln.strip()
        for ln in (result.stdout + result.stderr).splitlines()
        if ln.strip() and not ln.startswith(("Unit Testing:", "Checking "))
    ]
    return " ".join(lines)[:600] or f"exit status {result.returncode}"


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


@pytest.mark.points(2)
def test_rules_complete(week_dir: Path) -> None:
    """alerts.yml has an error-rate and a latency alert with for:, severity and summary"""
    alerts_path(week_dir)
    _, rules = rules_or_block(week_dir)
    problems = []
    for kind, found, how in (
        ("high-error-rate", alerting.error_alerts(rules), f'{alerting.COUNTER} with status=~"5.."'),
        ("high-latency", alerting.latency_alerts(rules), f"{alerting.HISTOGRAM}_bucket"),
    ):
        if not found:
            problems.append(f"no {kind} alert (an alert whose expr uses {how})")
        elif all(alerting.shortcomings(r) for r in found):
            problems += [f"{r.alert} lacks {', '.join(alerting.shortcomings(r))}" for r in found]
    expect_none(
        problems,
        expected="an alert on the share of 5xx answers (the week 10 counter, "
        f'{alerting.COUNTER}{{status=~"5.."}}) and one on latency (the week 10 histogram, '
        f"{alerting.HISTOGRAM}), each with a for: duration, a severity label and a summary "
        "annotation",
        hint="See the lesson's HousingApiHighErrorRate; the latency alert is the p95 from "
        "histogram_quantile(0.95, sum by (job, le) (rate(..._bucket{...}[5m]))) > 0.5.",
    )


def run_case(
    run: Callable[..., Any],
    paths: list[Path],
    case: dict[str, Any],
    folder: Path,
    name: str,
) -> tuple[bool, str]:
    """One check-owned case through `promtool test rules`: (passed, promtool's words)."""
    test = folder / f"{name}.yml"
    test.write_text(alerting.case_file(paths, case), encoding="utf-8")
    result = run([api.promtool(), "test", "rules", test], cwd=folder, timeout=60)
    return result.returncode == 0, promtool_said(result)


def evaluations(said: str) -> str:
    """'firing at N of the minute-by-minute evaluations', from promtool's got: line."""
    match = re.search(r"got: \{.*?\} ([0-9.eE+]+)", said)
    return f"firing at {float(match.group(1)):g} of them" if match else said


def behaviour(
    kind: str,
    candidates: list[Any],
    run: Callable[..., Any],
    paths: list[Path],
    rules: list[Any],
    folder: Path,
) -> tuple[list[str], list[str]]:
    """(alerts that fired when they should, why each other one did not or was noisy)."""
    buckets = alerting.buckets_for(rules)
    fired, problems = [], []
    for rule in candidates:
        cases = (alerting.error_cases if kind == "error" else alerting.latency_cases)(
            rule.alert, buckets
        )
        ok, said = run_case(run, paths, cases["fires"], folder, f"{kind}-{rule.alert}-fires")
        if ok:
            fired.append(rule.alert)
        else:
            problems.append(f"{rule.alert} did not fire ({said[:200]})")
        ok, said = run_case(run, paths, cases["quiet"], folder, f"{kind}-{rule.alert}-quiet")
        if not ok:
            problems.append(f"{rule.alert} fired on healthy traffic: {evaluations(said)}")
    return fired, problems


def judged(
    kind: str, week_dir: Path, run: Callable[..., Any], tmp_path: Path
) -> tuple[list[str], list[str]]:
    """Every alert of ``kind`` ("error" or "latency") in alerts.yml put through the check's own
    cases: (the alerts that fired when they should, the problems); blocked when there is none."""
    paths, rules = rules_or_block(week_dir)
    candidates = (alerting.error_alerts if kind == "error" else alerting.latency_alerts)(rules)
    if not candidates:
        what = "high-error-rate" if kind == "error" else "high-latency"
        blocked(
            f"alerts.yml has no {what} alert yet",
            hint=f"Make the check '{STRUCTURE_TITLE}' pass first.",
        )
    return behaviour(kind, candidates, run, paths, rules, tmp_path)


@pytest.mark.requires("promtool")
@pytest.mark.points(2)
def test_error_alert_behaves(week_dir: Path, run: Callable[..., Any], tmp_path: Path) -> None:
    """The error-rate alert fires within 10 minutes at 10% errors and stays quiet at 1%"""
    fired, problems = judged("error", week_dir, run, tmp_path)
    expect(
        fired and not problems,
        expected=f'with 100 requests a minute, job="{alerting.JOB}": firing 10 minutes after '
        "the share of 5xx answers jumps from 0% to 10%, and never firing in an hour at 1%",
        found="; ".join(problems),
        hint="Divide the rate of 5xx answers by the rate of all answers, both summed by job, "
        "over [5m], with `> 0.05` and `for: 5m`; a longer window or for: fires too late.",
    )


@pytest.mark.requires("promtool")
@pytest.mark.points(1)
def test_latency_alert_behaves(week_dir: Path, run: Callable[..., Any], tmp_path: Path) -> None:
    """The latency alert fires when predictions take 3 s and stays quiet at 10 ms"""
    fired, problems = judged("latency", week_dir, run, tmp_path)
    expect(
        fired and not problems,
        expected="with 100 requests a minute on /predict: firing 30 minutes after every request "
        "starts taking 3 s, and never firing in an hour at 10 ms",
        found="; ".join(problems),
        hint="histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_"
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
    untested = sorted(alerts - alerting.tested_alerts(path))
    expect(
        not untested,
        expected="an alert_rule_test in alerts_test.yml for every alert in alerts.yml",
        found=f"none for {', '.join(untested)}",
        hint="Add a test group per alert: healthy input series where exp_alerts is [], bad ones "
        "where the alert fires with its labels and annotations.",
    )
