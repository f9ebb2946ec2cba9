"""Week 2 fixtures: one clean-start run of train.py, and one prediction run on its models.

Both run in the learner's interpreter through `run`; the engine's process only reads CSV and
JSON, so scikit-learn and pandas never load here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import HOLDOUT_CSV
from mlops_checks.clean_run import CleanRun, finished, run_clean
from mlops_checks.environment import import_errors
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import CleanCopy, Run

RUN_TIMEOUT = 240  # seconds for `python train.py` (the solution takes about 4)
PREDICT_TIMEOUT = 120
OUTPUTS = (
    "models",
    "reports",
    "metrics.json",
)  # left out of the clean copy: the run must make them
MODELS = ("linear", "logistic")
MARKER = "PREDICTIONS-JSON:"
PREDICT = """
import json, sys, traceback
import joblib
import pandas as pd

models_dir, marker, tables = sys.argv[1], sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
frames = {name: pd.read_csv(path) for name, path in tables.items()}

def unwrap(model):
    # TransformedTargetRegressor (a stretch goal) wraps the real regressor.
    while type(model).__name__ == "TransformedTargetRegressor" and hasattr(model, "regressor_"):
        model = model.regressor_
    return model

answer = {}
for kind in ("linear", "logistic"):
    info, stage = {}, "joblib.load"
    try:
        model = joblib.load(f"{models_dir}/{kind}.joblib")
        top = unwrap(model)
        final = unwrap((getattr(top, "steps", None) or [(None, top)])[-1][1])
        info["class"] = type(top).__module__ + "." + type(top).__qualname__
        info["final"] = type(final).__module__ + "." + type(final).__qualname__
        stage = "predict"
        raw = {n: model.predict(f.drop(columns=["price"])) for n, f in frames.items()}
        stage = "turning its predictions into numbers"
        info["predictions"] = {n: [float(v) for v in values] for n, values in raw.items()}
    except Exception as exc:
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        info["error"] = f"{stage} failed: {error}"
    answer[kind] = info
print(marker + json.dumps(answer))
"""


@pytest.fixture(scope="session")
def libraries() -> str:
    """What the week's environment must import, for the shared check's message."""
    return "scikit-learn, pandas and joblib"


@pytest.fixture(scope="session")
def library_errors(run: Run, learner_python: Path) -> list[str]:
    """The libraries that do not import in the learner's interpreter."""
    return import_errors(run, learner_python, ["sklearn", "pandas", "joblib"])


@pytest.fixture(scope="module")
def training_run(run: Run, clean_copy: CleanCopy, learner_python: Path) -> CleanRun:
    """Run `python train.py` from a clean copy of the week folder (once per module), hashing
    data/raw before and after (raw data stays untouched)."""
    return run_clean(
        run,
        clean_copy,
        learner_python,
        "train.py",
        outputs=OUTPUTS,
        timeout=RUN_TIMEOUT,
        inputs="data/raw",
    )


@pytest.fixture(scope="module")
def finished_run(training_run: CleanRun) -> CleanRun:
    """The clean run, or the check is blocked because train.py did not finish."""
    return finished(training_run, "results")


@pytest.fixture(scope="module")
def predictions(finished_run: CleanRun, run: Run, learner_python: Path) -> dict[str, Any]:
    """Each saved model's class and predictions on the holdout and on data/raw/test.csv."""
    models = finished_run.folder / "models"
    missing = [f"models/{m}.joblib" for m in MODELS if not (models / f"{m}.joblib").is_file()]
    if missing:
        blocked(
            f"train.py did not save {' and '.join(missing)}",
            hint="Make the check 'train.py saves both models and metrics.json' pass first.",
        )
    tables = [f"holdout={HOLDOUT_CSV}", f"test={finished_run.folder / 'data/raw/test.csv'}"]
    result = run(
        [learner_python, "-c", PREDICT, models, MARKER, *tables],
        cwd=finished_run.folder,
        timeout=PREDICT_TIMEOUT,
    )
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(MARKER)]
    if not lines:
        failure = {"error": f"loading the models failed: {result.tail(4)}"}
        return dict.fromkeys(MODELS, failure)
    return dict(json.loads(lines[-1][len(MARKER) :]))
