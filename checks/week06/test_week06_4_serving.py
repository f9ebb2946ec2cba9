"""Week 6: the champion served over HTTP answers like the model itself, and refuses nonsense.

The `served` fixture (conftest.py) asked the learner's own server when env.sh names one
(SERVING_URL), else started `mlflow models serve -m models:/ames-price@champion --env-manager
local` on a free loopback port, posted the check's 380 holdout rows and a malformed payload,
and stopped the server.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from mlops_checks.model_serving import Served
from mlops_roadmap.checking import blocked, expect, fail

CHAMPION_URI = "models:/ames-price@champion"
REL_TOL = 1e-6
# Room for the registry probe (240 s at most) and the server's start (150 s at most).
pytestmark = pytest.mark.timeout(540)


def require_answers(served: Served) -> None:
    """Fail (or block, when the learner's own server is down) unless the server answered."""
    if served.blocked:
        blocked(f"{served.origin}: {served.error}", hint=served.hint)
    if served.error:
        fail(
            expected=f"{CHAMPION_URI} served over HTTP ({served.origin})",
            found=served.error,
            hint=served.hint,
        )


def served_predictions(served: Served, rows: int) -> list[float]:
    """The predictions in the server's answer to the holdout rows, or fail saying why not."""
    good = served.good
    assert good is not None
    expect(
        good.status == 200,
        expected=f"POST {served.url}/invocations with {rows} rows (dataframe_split) to answer 200",
        found=f"HTTP {good.status}: {good.body[:300]}" if good.status else good.body,
        hint="Serve the model you registered: its signature must accept the 13 feature columns.",
    )
    try:
        values = json.loads(good.body)["predictions"]
        return [float(v) for v in values]
    except (ValueError, KeyError, TypeError) as exc:
        fail(
            expected='a JSON answer like {"predictions": [...]}',
            found=f"{good.body[:200]} ({type(exc).__name__})",
            hint="Serve the model with `mlflow models serve`, which answers in that shape.",
        )


@pytest.mark.points(2)
@pytest.mark.hint("mlflow models serve -m 'models:/ames-price@champion' --env-manager local")
def test_served_predictions_match(served: Served, champion: dict[str, Any]) -> None:
    """The served champion answers /invocations with the same predictions as the model itself"""
    require_answers(served)
    if "error" in champion:
        blocked(
            f"{CHAMPION_URI} does not load here, so there is nothing to compare with",
            hint="Make the check 'models:/ames-price@champion loads' pass first.",
        )
    local = champion["predictions"]["holdout"]
    remote = served_predictions(served, len(local))
    differ = [
        i
        for i, (a, b) in enumerate(zip(local, remote, strict=False))
        if not math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-6)
    ]
    expect(
        len(remote) == len(local) and not differ,
        expected=f"{len(local)} predictions equal to those of {CHAMPION_URI} (version "
        f"{champion['version']}) loaded with mlflow.pyfunc",
        found=f"{len(remote)} predictions"
        + (
            f"; {len(differ)} differ, e.g. row {differ[0]}: {remote[differ[0]]:,.2f} served, "
            f"{local[differ[0]]:,.2f} loaded"
            if differ
            else ""
        ),
        hint="The server resolves the alias when it starts: restart it after moving champion "
        f"({served.origin}).",
    )


@pytest.mark.points(1)
@pytest.mark.hint("POST a body that is not a model input and look at the status code.")
def test_bad_payload_rejected(served: Served) -> None:
    """The server rejects a malformed payload with a 4xx error, not a crash"""
    if served.error and not served.blocked:
        blocked(
            f"the champion could not be served: {served.error}",
            hint="Make the check 'The served champion answers /invocations' pass first.",
        )
    require_answers(served)
    bad = served.bad
    assert bad is not None
    expect(
        400 <= bad.status < 500,
        expected=f'POST {served.url}/invocations with {{"rows": [[...]]}} (no dataframe_split, '
        "dataframe_records, instances or inputs) to answer a 4xx error",
        found=f"HTTP {bad.status}: {bad.body[:200]}" if bad.status else f"no answer: {bad.body}",
        hint="Serve the model with `mlflow models serve`, which validates its input.",
    )
