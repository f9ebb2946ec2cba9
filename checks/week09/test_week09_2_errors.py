"""Week 9: bad requests get 422 naming the field, malformed JSON a 4xx, and an internal error
a JSON 500 that leaks nothing.

The checks live in the course library (`mlops_checks.contract_checks`), so that the capstone
(week 23) runs them again on its API. Every request goes to the one running app (the `http`
fixture), each time one thing wrong in an otherwise valid house of the data set; the internal
error comes from the scaffold's debug route, GET /debug/error, which exists because the checks
start the app with ENABLE_DEBUG_ROUTES=1 (the lesson says so).
"""

from __future__ import annotations

import pytest

from mlops_checks.contract_checks import (
    test_internal_error_is_json_500,
    test_invalid_input_gets_422,
    test_malformed_json_gets_4xx,
)

__all__ = [
    "test_internal_error_is_json_500",
    "test_invalid_input_gets_422",
    "test_malformed_json_gets_4xx",
]
pytestmark = pytest.mark.timeout(420)
