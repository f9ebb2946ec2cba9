"""Week 23: ARCHITECTURE.md holds the outline's seven sections, under any reasonable wording,
numbered or not, each filled in beyond the outline; SLOs a dashboard could measure; and at least
three decisions, each under its own heading, each naming what it was chosen over."""

from __future__ import annotations

import pytest

from mlops_checks import capstone_docs as docs
from mlops_checks.markdown_doc import Doc, Section
from mlops_roadmap.checking import blocked, expect, expect_none

SECTIONS = "ARCHITECTURE.md has the outline's seven sections, each filled in"
DECISIONS = docs.OUTLINE[4][0]
SLOS = docs.OUTLINE[1][0]


def outline_section(doc: Doc, name: str) -> Section:
    found = docs.outline(doc).found.get(name)
    if found is None:
        blocked(
            f"ARCHITECTURE.md has no {name} section yet",
            hint=f"Make the check '{SECTIONS}' pass first.",
        )
    return found


@pytest.mark.points(2)
def test_architecture_sections(architecture: Doc) -> None:
    """ARCHITECTURE.md has the outline's seven sections, each filled in"""
    found = docs.outline(architecture)
    problems = [f"no {name} section" for name in found.missing]
    problems += [f"placeholder {p}" for p in architecture.placeholders()]
    for name, section in found.found.items():
        problems += docs.unfilled(name, section)
    expect_none(
        problems,
        expected="the sections " + ", ".join(n for n, _ in docs.OUTLINE) + ", each with "
        f"at least {docs.MIN_WORDS} words of your own and no outline blank ('...', "
        "'<your system's name>') left",
        hint="Keep the outline's headings (reword them if you like) and replace each guidance "
        "line with your system's facts.",
        shown=8,
    )


@pytest.mark.points(1)
def test_slos_measurable(architecture: Doc) -> None:
    """The SLOs are measurable: at least three with a number and a unit"""
    section = outline_section(architecture, SLOS)
    lines = docs.measured(section)
    expect(
        len(lines) >= docs.MIN_SLOS,
        expected=f"at least {docs.MIN_SLOS} items under '{section.heading.text}' with a number "
        "and a unit or a percentage (p95 under 300 ms, 99.5% over 28 days)",
        found=f"{len(lines)}: " + ("; ".join(lines[:5]) or "no item states a number with a unit"),
        hint="Write each objective so a dashboard can say whether it holds: the metric, the "
        "threshold with its unit, the window.",
    )


@pytest.mark.points(2)
def test_decisions_recorded(architecture: Doc) -> None:
    """At least three decisions, each under its own heading, each naming an alternative"""
    section = outline_section(architecture, DECISIONS)
    recorded = docs.decisions(section)
    good = [d for d in recorded if d.alternative and d.words >= docs.MIN_WORDS]
    problems = [
        f"'{d.title}' names no alternative"
        if not d.alternative
        else f"'{d.title}' has {d.words} words"
        for d in recorded
        if d not in good
    ]
    expect(
        len(good) >= docs.MIN_DECISIONS,
        expected=f"at least {docs.MIN_DECISIONS} headings under '{section.heading.text}', each a "
        f"decision of at least {docs.MIN_WORDS} words naming what it was chosen over "
        "('instead of', 'rather than', 'vs', 'alternative')",
        found=f"{len(good)} such decision(s) among {len(recorded)} heading(s)"
        + (f": {'; '.join(problems)}" if problems else ""),
        hint="One heading per decision (### Serving with FastAPI in Docker): what you chose, "
        "what you rejected and why, and what would change your mind.",
    )
