"""Week 23: week 21's drift checks, run again against the capstone's drift.py as a regression
suite: it runs on each of the check's batches (stable, shifted, mildly shifted, roles reversed)
from a clean copy, writes its HTML and JSON reports and history, finds no drift on the stable
batch and drift on the shifted one, prints the share its JSON holds, and lets --drift-share
decide. They live in the course library (`mlops_checks.drift_checks`) and keep week 21's
titles."""

from __future__ import annotations

import pytest

from mlops_checks.drift_checks import (
    test_history_kept,
    test_printed_share_matches_report,
    test_reference_is_the_reference,
    test_reports_written,
    test_runs_finish,
    test_shifted_batch_fails,
    test_stable_batch_passes,
    test_threshold_decides,
)

__all__ = [
    "test_history_kept",
    "test_printed_share_matches_report",
    "test_reference_is_the_reference",
    "test_reports_written",
    "test_runs_finish",
    "test_shifted_batch_fails",
    "test_stable_batch_passes",
    "test_threshold_decides",
]
pytestmark = pytest.mark.timeout(420)  # the runs take up to 300 s, whichever check starts them
