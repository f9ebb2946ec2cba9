"""Week 2: train.py trains both pipelines from a clean start, leaves data/raw/ alone, and saves
what the lesson names.

The models are loaded in the learner's interpreter (the `predictions` fixture), which reports
each one's make-up: the estimators from the outside in, through Pipelines and
TransformedTargetRegressor.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from conftest import DESCRIBED, RAW, Trainings, shipped_raw

from mlops_checks.clean_run import CleanRun, expect_ran, tree_hashes
from mlops_roadmap.checking import expect, expect_none
from mlops_roadmap.roadmap import Week

LINEAR_FAMILY = "sklearn.linear_model"
LOGISTIC_FINALS = {"LogisticRegression", "LogisticRegressionCV"}
SHOWN = 6  # problems listed in a failure message
RUN_HINT = "Run `python train.py` yourself from the week folder and fix the first error."
# Room for the clean training runs (240 s at most) and the prediction run (180 s at most),
# whichever check happens to start them.
pytestmark = pytest.mark.timeout(480)


@pytest.mark.points(1)
@pytest.mark.hint(RUN_HINT)
def test_training_runs(training_run: CleanRun) -> None:
    """train.py runs from a clean start"""
    expect_ran(
        training_run,
        expected="`python train.py` in a fresh copy of the week folder (no models/, no "
        "metrics.json, data/raw as shipped) to exit with status 0",
        hint="Finish the TODOs in train.py, then run `python train.py` "
        "yourself from the week folder and fix the first error it shows.",
    )


@pytest.mark.points(1)
@pytest.mark.hint("Save with joblib.dump(pipeline, 'models/linear.joblib') and write metrics.json.")
def test_outputs_written(finished_run: CleanRun) -> None:
    """train.py saves both models and metrics.json"""
    wanted = ("models/linear.joblib", "models/logistic.joblib", "metrics.json")
    missing = [name for name in wanted if not (finished_run.folder / name).is_file()]
    expect(
        not missing,
        expected=", ".join(wanted) + " in the week folder",
        found="missing " + ", ".join(missing),
        hint="Create models/ with mkdir(parents=True, exist_ok=True) before saving.",
    )


def normalised(data: bytes) -> str:
    """sha256 of a file's bytes with Windows line ends read as Unix ones (git may convert)."""
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def run_changes(trainings: Trainings) -> list[str]:
    """What the runs added to, changed in or removed from their copy's data/raw."""
    seen: dict[str, str] = {}
    for name, done in trainings.runs.items():
        before, after = done.inputs_before, done.inputs_after
        for path in sorted(before.keys() | after.keys()):
            if before.get(path) == after.get(path) or path in seen:
                continue
            how = "added" if path not in before else "removed" if path not in after else "changed"
            where = "" if name == "shipped" else f" (in the run on {DESCRIBED[name]})"
            seen[path] = f"train.py {how} {RAW}/{path}{where}"
    return list(seen.values())


def folder_changes(week_dir: Path, shipped: dict[str, Path]) -> list[str]:
    """How the learner's own data/raw differs from the files the course shipped."""
    mine = {
        path: normalised((week_dir / RAW / path).read_bytes())
        for path in tree_hashes(week_dir / RAW)
        if not any(part.startswith(".") for part in Path(path).parts)  # .DS_Store and kin
    }
    problems = [
        f"your {RAW}/{name} differs from the shipped file"
        if name in mine
        else f"your {RAW}/{name} is missing"
        for name, source in shipped.items()
        if mine.get(name) != normalised(source.read_bytes())
    ]
    extra = sorted(set(mine) - set(shipped))
    if extra:
        problems.append(
            f"your {RAW}/ holds files the course did not ship: " + ", ".join(extra[:SHOWN])
        )
    return problems


@pytest.mark.points(1)
@pytest.mark.hint("Read data/raw/*.csv, never write there: save outputs under models/.")
def test_raw_data_untouched(
    trainings: Trainings, week_dir: Path, week: Week, course_data: Path
) -> None:
    """data/raw/ holds the shipped files only, and train.py leaves it as it was"""
    problems = run_changes(trainings) + folder_changes(week_dir, shipped_raw(week, course_data))
    expect_none(
        problems,
        expected=f"{RAW}/ to hold exactly the files the course shipped "
        f"({', '.join(shipped_raw(week, course_data))}), unchanged by every training run",
        hint="Raw data is read-only in a pipeline, new files included: write anything derived "
        "under models/ or reports/, or keep it in memory. Delete what does not belong in "
        "data/raw/, and restore a changed or missing file from git "
        "(`git checkout -- data/raw/FILE`).",
        shown=SHOWN,
    )


def short(name: str) -> str:
    return name.rpartition(".")[2]


def model_problem(kind: str, info: dict[str, Any]) -> str | None:
    """Why a saved model is not what the lesson asks for (None when it is)."""
    where = f"models/{kind}.joblib"
    if "chain" not in info:
        return f"{where}: {info.get('error', 'no answer')}"
    chain = info["chain"]
    module, _, name = chain[-1].rpartition(".")
    shape = " -> ".join(short(c) for c in chain)
    if info.get("search"):
        return f"{where} is a {short(info['class'])}: save its best_estimator_, the fitted pipeline"
    if not info.get("pipeline"):
        return f"{where} is a {shape}, with no Pipeline around its preprocessing"
    if kind == "linear" and not (module.startswith(LINEAR_FAMILY) and info.get("regressor")):
        return f"{where} is a {shape}: {chain[-1]} is not a regressor from {LINEAR_FAMILY}"
    if kind == "logistic" and not (module.startswith(LINEAR_FAMILY) and name in LOGISTIC_FINALS):
        return f"{where} is a {shape}: it ends in {chain[-1]}, not LogisticRegression"
    return None


@pytest.mark.points(1)
@pytest.mark.hint("Wrap preprocessing and the model in one sklearn.pipeline.Pipeline.")
def test_models_are_pipelines(predictions: dict[str, dict[str, Any]]) -> None:
    """Both models are scikit-learn Pipelines ending in the right linear model"""
    models = predictions.get("shipped", {})
    problems = [p for k in ("linear", "logistic") if (p := model_problem(k, models.get(k, {})))]
    expect_none(
        problems,
        expected="models/linear.joblib: a Pipeline ending in a regressor from "
        "sklearn.linear_model (LinearRegression, Ridge, BayesianRidge, SGDRegressor, ...), "
        "or a TransformedTargetRegressor around one; models/logistic.joblib: a Pipeline "
        "ending in LogisticRegression",
        hint="Pipeline([('prepare', ColumnTransformer(...)), ('model', LinearRegression())]), "
        "saved whole with joblib.dump: the preprocessing travels with the model.",
    )
