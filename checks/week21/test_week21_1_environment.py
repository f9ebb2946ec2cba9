"""Week 21: the learner's virtual environment imports Evidently 0.7 and pandas 2.

The imports are tried in the learner's interpreter, by the same process that then runs
drift.py (``library_errors`` in the conftest); the check is the course's shared one.
"""

from __future__ import annotations

from mlops_checks import environment

test_libraries_import = environment.test_libraries_import  # the shared check, collected here
