"""Week 11: the app trains and starts (as in weeks 9 and 10), with a canary secret in its
environment."""

from __future__ import annotations

import pytest

from mlops_checks import api_checks

# Room for training (240 s at most) and the app's start (60 s), whichever check starts them.
pytestmark = pytest.mark.timeout(420)
test_training = api_checks.test_training  # the shared check, collected here in this order
test_app_starts = api_checks.test_app_starts  # the shared check, collected here in this order
