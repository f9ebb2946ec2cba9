"""Week 24: what only a person can judge. These are never run, passed or failed: `check` lists
them under its report, with what a mentor should look at, and passing the week never needs them.
"""

from __future__ import annotations

import pytest


@pytest.mark.review(
    "PORTFOLIO.md's demo link: five minutes or less, the problem first, then the quickstart "
    "running, a prediction and one result; sound and screen readable."
)
def test_demo_video() -> None:
    """The capstone's recorded demo"""


@pytest.mark.review(
    "INTERVIEW_PREP.md's System design: requirements and SLOs stated first, a trade-off named "
    "at every step, serving and retraining choices justified, cost and security considered."
)
def test_system_design_quality() -> None:
    """The written system design's quality"""


@pytest.mark.review(
    "INTERVIEW_PREP.md's answers and STAR stories: each tied to something built, reasoning "
    "rather than tool lists, most of each story on the Action; ask a follow-up question on two."
)
def test_answers_quality() -> None:
    """The quality of the answers and STAR stories"""


@pytest.mark.review(
    "The three project READMEs read by a stranger: the result first, a Decisions section with "
    "the alternatives, run instructions that do not depend on the author's laptop; RESUME.md "
    "skimmed in thirty seconds: what the candidate did and achieved stands out."
)
def test_readmes_for_a_stranger() -> None:
    """The project READMEs and the resume, as a hiring manager reads them"""
