"""Week 11 fixtures: the learner's API trained and started once, with a canary secret in its
environment, and one session of requests whose log lines the checks then read.

The app is trained and started by the shared ``mlops_checks.api_fixtures`` (the same steps and
debug route as week 9), with MODEL_REGISTRY_TOKEN set to a canary the logs must never show.
Everything the app writes to stdout and stderr goes to the server's log file, read whole.
"""

from __future__ import annotations

import uuid

import pytest

from mlops_checks import api
from mlops_checks.app_logs import LogSession, read_settled, send

pytest_plugins = ["mlops_checks.api_fixtures"]

SECRET_ENV = "MODEL_REGISTRY_TOKEN"
PREDICTED = 2  # houses in the valid prediction: its log line must say so
OVERSIZED = 2000  # characters of an X-Request-ID no app should echo or log


@pytest.fixture(scope="session")
def secret() -> str:
    return f"canary-secret-{uuid.uuid4().hex}"


@pytest.fixture(scope="session")
def app_extra_env(secret: str) -> dict[str, str]:
    """The canary secret in the app's environment: the logs must never show it."""
    return {SECRET_ENV: secret}


@pytest.fixture(scope="session")
def log_session(app_run: api.AppRun, http: api.Http, secret: str) -> LogSession:
    """A valid prediction of PREDICTED houses and an invalid one, an internal error, an unknown
    path (each with an X-Request-ID), two health checks without one and one with an oversized
    X-Request-ID; then the whole log."""
    tag = uuid.uuid4().hex[:10]
    house = {**api.sample_houses()[0], "lot_area": 97531}
    others = api.sample_houses()[1:PREDICTED]
    session = LogSession(
        canaries={
            f"the secret in ${SECRET_ENV}": secret,
            "a neighborhood sent in an invalid request": f"canary-place-{tag}",
            "an unexpected field's value": f"canary-{tag}@example.com",
        },
        number_canary="97531",
    )
    bad_house = {
        **house,
        "neighborhood": f"canary-place-{tag}",
        "owner_email": f"canary-{tag}@example.com",
    }
    session.sent["valid"] = send(
        http, "POST", "/predict", f"check-valid-{tag}", json={"houses": [house, *others]}
    )
    session.sent["invalid"] = send(
        http, "POST", "/predict", f"check-invalid-{tag}", json={"houses": [bad_house]}
    )
    session.sent["error"] = send(http, "GET", api.ERROR_ROUTE, f"check-error-{tag}")
    session.sent["unknown"] = send(http, "GET", f"/no-such-page-{tag}", f"check-unknown-{tag}")
    session.sent["no-id-1"] = send(http, "GET", "/health", None)
    session.sent["no-id-2"] = send(http, "GET", "/health", None)
    session.sent["oversized"] = send(http, "GET", "/health", f"long{tag}" + "a" * OVERSIZED)
    session.text = read_settled(api.require_server(app_run).log, f"check-unknown-{tag}")
    return session
