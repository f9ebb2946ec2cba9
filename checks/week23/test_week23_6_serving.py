"""Week 23: the capstone's API judged again by the checks of the weeks it builds on, as a
regression suite: week 9's contract (the model's own prices, 422 naming the field, a 4xx for
malformed JSON, a JSON 500 that leaks nothing), week 10's metrics (the request counter counts
real requests and a real 500 by route template, the latency histogram in seconds, every
predicted price in dollars), and week 16's authentication (401 without a valid token, 403
without the scope, 200 with both; no start, or no token accepted, without a real JWT_SECRET, and
no string of the code signs an accepted token).

The checks live in the course library (`mlops_checks.contract_checks`, `metrics_checks`,
`token_checks`) and keep their weeks' titles. The app starts with a JWT_SECRET made up for the
run; weeks 9 and 10 send every request with a valid token signed with it (the `http` fixture of
this week's conftest), week 16 mints its own.
"""

from __future__ import annotations

import pytest

from mlops_checks import api_checks, contract_checks, metrics_checks, token_checks

# Room for training and two starts (week 9 and 10's app, week 16's session), the requests, and
# three more starts without a real JWT_SECRET.
pytestmark = pytest.mark.timeout(900)

# Collected here, in this order.
test_training = api_checks.test_training
test_app_starts = api_checks.test_app_starts
test_predictions_match_model = contract_checks.test_predictions_match_model
test_invalid_input_gets_422 = contract_checks.test_invalid_input_gets_422
test_malformed_json_gets_4xx = contract_checks.test_malformed_json_gets_4xx
test_internal_error_is_json_500 = contract_checks.test_internal_error_is_json_500
test_metrics_parse = metrics_checks.test_metrics_parse
test_counter_counts_exactly = metrics_checks.test_counter_counts_exactly
test_labels_are_route_templates = metrics_checks.test_labels_are_route_templates
test_latency_histogram = metrics_checks.test_latency_histogram
test_predicted_prices = metrics_checks.test_predicted_prices
test_no_credentials_is_401 = token_checks.test_no_credentials_is_401
test_bad_tokens_are_401 = token_checks.test_bad_tokens_are_401
test_missing_scope_is_403 = token_checks.test_missing_scope_is_403
test_valid_tokens_are_served = token_checks.test_valid_tokens_are_served
test_app_needs_a_real_secret = token_checks.test_app_needs_a_real_secret
