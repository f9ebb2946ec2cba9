"""Week 23: RUNBOOK.md answers every alert: a section named exactly like each alert of the
capstone's rules (alerts.yml and the rule files prometheus.yml loads), filled in, that the
alert's runbook_url leads to; and the game day written up."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_checks import alerting
from mlops_checks import capstone_docs as docs
from mlops_checks.alert_checks import VALID_TITLE
from mlops_checks.markdown_doc import Doc
from mlops_roadmap.checking import blocked, expect, expect_file, expect_none


def alert_rules(week_dir: Path) -> list[alerting.Rule]:
    """The alerting rules of the capstone, or blocked when they cannot be read."""
    alerts = expect_file(week_dir, "alerts.yml", hint="Keep week 11's alerts.yml.")
    try:
        rules = alerting.load_rules(alerting.rule_files(week_dir, alerts))
    except ValueError as exc:
        blocked(f"the rule files cannot be read: {exc}", hint=f"Make '{VALID_TITLE}' pass first.")
    found = [r for r in rules if r.alert]
    if not found:
        blocked("alerts.yml has no alert", hint="Keep week 11's alerts.")
    return found


@pytest.mark.points(2)
def test_runbook_covers_alerts(week_dir: Path, runbook: Doc) -> None:
    """RUNBOOK.md has a filled-in section named exactly like each alert"""
    problems = [f"an outline section '{h}' is left" for h in docs.placeholder_headings(runbook)]
    for alert in dict.fromkeys(str(r.alert) for r in alert_rules(week_dir)):
        section = docs.alert_section(runbook, alert)
        if section is None:
            problems.append(f"no section '## {alert}'")
        elif docs.runbook_words(section) < docs.MIN_WORDS:
            problems.append(
                f"'{alert}' has {docs.runbook_words(section)} words beyond the outline, fewer "
                f"than {docs.MIN_WORDS}"
            )
    expect_none(
        problems,
        expected="for every alert, a RUNBOOK.md section whose heading is the alert's name, "
        "with what it means, what to check, how to mitigate (the commands) and who follows up",
        hint="Copy the outline's section once per alert, name it like the alert "
        "(## HousingApiDown) and write your system's commands in it; remove '## <AlertName>'.",
        shown=8,
    )


@pytest.mark.points(1)
def test_runbook_links(week_dir: Path, runbook: Doc) -> None:
    """Each alert's runbook_url leads to its RUNBOOK.md section"""
    problems = []
    for rule in alert_rules(week_dir):
        url = (rule.data.get("annotations") or {}).get("runbook_url")
        if url:
            problems.append(docs.link_problem(str(url), str(rule.alert), runbook))
    expect_none(
        [p for p in problems if p],
        expected="every runbook_url annotation to end in RUNBOOK.md#<the anchor GitHub gives "
        "the alert's heading>",
        hint="GitHub's anchor is the heading in lower case, spaces as '-', punctuation dropped: "
        "## HousingApiDown is #housingapidown.",
    )


@pytest.mark.points(1)
def test_game_day(runbook: Doc) -> None:
    """RUNBOOK.md has a Game day section saying what was broken and what happened"""
    section = runbook.section(docs.GAME_DAY)
    words = docs.runbook_words(section) if section else 0
    expect(
        section is not None and words >= docs.MIN_GAME_DAY_WORDS,
        expected=f"a 'Game day' section of at least {docs.MIN_GAME_DAY_WORDS} words",
        found=f"'{section.heading.text}' has {words} words"
        if section
        else "no heading with 'Game day'",
        hint="Write what you broke, whether the alert fired and the runbook helped, how long "
        "it took to recover, and what you changed afterwards.",
    )
