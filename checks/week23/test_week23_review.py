"""Week 23: what only a person can judge. These are never run, passed or failed: `check` lists
them under its report, with what a mentor should look at, and passing the week never needs them.
"""

from __future__ import annotations

import pytest


@pytest.mark.review(
    "The recorded demo, five minutes or less: the architecture diagram, a data change committed, "
    "CI retraining and passing its gates, the new version serving, the dashboard, an injected "
    "failure and the alert it fires; linked from the repository's README."
)
def test_demo_recording() -> None:
    """The capstone's recorded demo: a change flowing from data to production"""


@pytest.mark.review(
    "ARCHITECTURE.md's judgement: SLOs that fit the problem's users, decisions whose trade-offs "
    "are real (what was given up), risks with a mitigation each, diagrams showing only what runs."
)
def test_design_judgement() -> None:
    """The design's judgement: SLOs, trade-offs and risks"""


@pytest.mark.review(
    "CI/CD: tests, quality gates and an image build on every change; a deploy that waits for the "
    "gates and rolls back in one command; infrastructure as code for whatever runs outside the "
    "laptop, destroyed after the demo."
)
def test_delivery_pipeline() -> None:
    """The delivery pipeline's gates, rollback and infrastructure as code"""
