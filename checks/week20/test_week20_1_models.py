"""Week 20: train.py makes both models from a clean start, and the numeric one is what KServe's
scikit-learn runtime can serve: it predicts from a plain array of the eleven numeric columns,
in the data's order, and its predictions on the 380 sales the checks keep are worth having.
"""

from __future__ import annotations

import pytest
from conftest import Note, require_trained

from mlops_checks import kserve_probe
from mlops_checks.kserve_protocol import NUMERIC
from mlops_roadmap.checking import expect, fail

MIN_R2 = 0.5  # the lesson's numeric linear model: about 0.84 on the held-out sales
pytestmark = pytest.mark.timeout(420)


def r2(truth: list[float], predicted: list[float]) -> float:
    mean = sum(truth) / len(truth)
    residual = sum((t - p) ** 2 for t, p in zip(truth, predicted, strict=True))
    total = sum((t - mean) ** 2 for t in truth)
    return 1 - residual / total


@pytest.mark.points(1)
def test_training(trained: kserve_probe.Trained) -> None:
    """train.py saves models/linear.joblib from a clean start"""
    expect(
        not trained.problem,
        expected="`python train.py` in a fresh copy of the week folder (no models/) to exit "
        f"with status 0 and write {kserve_probe.MODEL}",
        found=trained.problem,
        hint="The scaffold's train.py does this already: restore it if you changed it, and "
        "install the week's requirements into the workspace .venv.",
    )


@pytest.mark.points(2)
def test_numeric_model(
    trained: kserve_probe.Trained,
    facts: kserve_probe.ModelFacts,
    prices: list[float],
    record_property: Note,
) -> None:
    """The numeric model predicts from a plain array of the 11 numeric columns"""
    numeric = facts.numeric
    where = kserve_probe.NUMERIC_MODEL
    require_trained(trained)
    if not (trained.folder / where).is_file():
        fail(
            expected=f"`python train.py` to write {where} too: the folder KServe's "
            "scikit-learn runtime loads",
            found=f"no {where} after train.py ran in a fresh copy of the week folder",
            hint="Fill in train_numeric in train.py: fit the pipeline on "
            "train[NUMERIC].to_numpy() and joblib.dump it to NUMERIC_FILE.",
        )
    if facts.problem or "error" in numeric:
        fail(
            expected=f"train.py to write {where}, which loads with joblib and answers "
            f"model.predict(numpy.array(rows)) for rows of the {len(NUMERIC)} numeric columns",
            found=facts.problem or str(numeric["error"]),
            hint="Fill in train_numeric in train.py: fit the pipeline on "
            "train[NUMERIC].to_numpy() and joblib.dump it to NUMERIC_FILE. The runtime never "
            "sends column names or text, so a model that needs a DataFrame fails there.",
        )
    expect(
        numeric.get("features") in (None, len(NUMERIC)),
        expected=f"a model fitted on the {len(NUMERIC)} numeric columns",
        found=f"a model fitted on {numeric.get('features')} columns",
        hint=f"Fit it on train[NUMERIC].to_numpy(): {', '.join(NUMERIC)}.",
    )
    score = r2(prices, numeric["predictions"])
    record_property("numeric_r2", round(score, 3))
    expect(
        score >= MIN_R2,
        expected=f"its predictions for the {len(prices)} sales the checks keep, sent as rows of "
        f"the numeric columns in the data's order ({', '.join(NUMERIC)}), to explain at least "
        f"{MIN_R2:.0%} of their prices' variance (R² >= {MIN_R2})",
        found=f"R² {score:.3f}",
        hint="Fit on train[NUMERIC].to_numpy() with NUMERIC in the data's order: the runtime "
        "passes each row's numbers in that order, and a model fitted on another order reads "
        "areas as years.",
    )
