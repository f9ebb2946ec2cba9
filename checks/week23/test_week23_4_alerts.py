"""Week 23: the capstone's alert rules stay valid and tested: promtool checks alerts.yml and runs
the capstone's own alerts_test.yml."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_checks import api
from mlops_checks.alert_checks import promtool_said
from mlops_roadmap.checking import expect, expect_file
from mlops_roadmap.fixtures import Run

pytestmark = [pytest.mark.requires("promtool"), pytest.mark.timeout(300)]


@pytest.mark.points(1)
def test_rules_valid(week_dir: Path, run: Run) -> None:
    """alerts.yml passes promtool check rules"""
    path = expect_file(week_dir, "alerts.yml", hint="Keep week 11's alerts.yml.")
    result = run([api.promtool(), "check", "rules", path], cwd=week_dir, timeout=60)
    expect(
        result.returncode == 0,
        expected="`promtool check rules alerts.yml` to succeed",
        found=promtool_said(result),
        hint="Fix what promtool names: YAML indentation, expr syntax, a duration such as 5m.",
    )


@pytest.mark.points(1)
def test_rule_tests_pass(week_dir: Path, run: Run) -> None:
    """alerts_test.yml passes promtool test rules"""
    path = expect_file(week_dir, "alerts_test.yml", hint="Keep week 11's alerts_test.yml.")
    result = run([api.promtool(), "test", "rules", path], cwd=week_dir, timeout=120)
    expect(
        result.returncode == 0,
        expected="`promtool test rules alerts_test.yml` to succeed",
        found=promtool_said(result),
        hint="Compare promtool's exp: and got: lines; when you change an alert, change its "
        "tests with it.",
    )
