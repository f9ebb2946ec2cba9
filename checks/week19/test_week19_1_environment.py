"""Week 19: the learner's virtual environment holds ONNX Runtime, skl2onnx, onnx, scikit-learn,
pandas and joblib.

The imports are tried in the learner's interpreter (`library_errors` in the conftest); the check
is the course's shared one.
"""

from __future__ import annotations

from mlops_checks import environment

test_libraries_import = environment.test_libraries_import  # the shared check, collected here
