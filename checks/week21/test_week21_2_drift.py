"""Week 21: drift.py tells the check's stable batch from its shifted one, with reports a
pipeline can read, a threshold that decides, and the reference where Evidently expects it.

drift.py runs five times from one clean copy (the ``drift_runs`` fixture): the stable, shifted
and mildly shifted batches against the training data, and the stable batch as the reference of
the training data (roles reversed). Every number is read from the JSON each run saved. The
checks live in the course library (`mlops_checks.drift_checks`), where week 23 runs them again
on the capstone's drift.py.
"""

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
