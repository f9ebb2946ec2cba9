"""Week 6: the learner's virtual environment holds MLflow (with uvicorn), scikit-learn, pandas.

The probe that reads the tracking store also tries the imports (`library_errors` in the
conftest); the check is the course's shared one.
"""

from __future__ import annotations

from mlops_checks import environment

test_libraries_import = environment.test_libraries_import  # the shared check, collected here
