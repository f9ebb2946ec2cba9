"""Week 2 fixtures: train.py run from a clean start three times at once, and one prediction run
on the models each run saved.

The three runs differ only in their data/raw, always laid from the course's shipped files:
    shipped       as shipped;
    test_changed  test.csv's prices mirrored in price order (the cheapest house gets the dearest
                  price): models fitted on train.csv alone must not move;
    boundary      every price between $100,000 and $250,000, in both files, moved to $160,000
                  when it is at most $160,000 and to $160,001 when it is above: the right labels
                  (expensive = price > 160000) stay the same, so the right classifier must not
                  move, and metrics.json's accuracy must count those houses the right way.
Every run and the prediction run use the learner's interpreter through `run`; the engine's
process only reads CSV and JSON, so scikit-learn and pandas never load here.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import HOLDOUT, TARGET
from mlops_checks.clean_run import CleanRun, finished, run_clean_all
from mlops_checks.environment import import_errors
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import CleanCopy, Run
from mlops_roadmap.roadmap import Week

RUN_TIMEOUT = 240  # seconds for `python train.py` (the solution takes about 6)
PREDICT_TIMEOUT = 180
OUTPUTS = ("models", "reports", "metrics.json")  # left out of the copies: the run makes them
RAW = "data/raw"
MODELS = ("linear", "logistic")
PRELOAD = (  # imported once for the three runs
    "numpy",
    "pandas",
    "joblib",
    "sklearn.compose",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.pipeline",
    "sklearn.preprocessing",
)
EXPENSIVE_PRICE = 160_000  # expensive = price > 160000, as the lesson says
BAND = (100_000, 250_000)  # the boundary copy moves the prices in (low, high] to the line
MARKER = "PREDICTIONS-JSON:"
PREDICT = """
import json, sys, traceback
import joblib
import pandas as pd
from sklearn.base import is_classifier, is_regressor
from sklearn.pipeline import Pipeline

marker, spec = sys.argv[1], json.loads(sys.argv[2])

def name(obj):
    return type(obj).__module__ + "." + type(obj).__qualname__

def chain(model):
    # From the outside in: a Pipeline's last step, a TransformedTargetRegressor's regressor.
    found = [model]
    while True:
        if isinstance(model, Pipeline):
            model = model.steps[-1][1]
        elif type(model).__name__ == "TransformedTargetRegressor" and hasattr(model, "regressor_"):
            model = model.regressor_
        else:
            return found
        found.append(model)

def describe(model):
    links = chain(model)
    return {
        "class": name(model),
        "chain": [name(m) for m in links],
        "pipeline": any(isinstance(m, Pipeline) for m in links),
        "regressor": bool(is_regressor(links[-1])),
        "classifier": bool(is_classifier(links[-1])),
        "search": hasattr(model, "best_estimator_"),
    }

frames = {}
answer = {}
for copy, job in spec.items():
    answer[copy] = {}
    for kind in ("linear", "logistic"):
        info, stage = {}, "joblib.load"
        try:
            model = joblib.load(f"{job['models']}/{kind}.joblib")
            info.update(describe(model))
            stage = "predict"
            predicted = {}
            for table, path in job["tables"].items():
                if path not in frames:
                    frames[path] = pd.read_csv(path).drop(columns=["price"], errors="ignore")
                predicted[table] = model.predict(frames[path])
            stage = "turning its predictions into numbers"
            info["predictions"] = {t: [float(v) for v in p] for t, p in predicted.items()}
        except Exception as exc:
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            info["error"] = f"{stage} failed: {error}"
        answer[copy][kind] = info
print(marker + json.dumps(answer))
"""

Rows = list[dict[str, str]]


@pytest.fixture(scope="session")
def libraries() -> str:
    """What the week's environment must import, for the shared check's message."""
    return "scikit-learn, pandas and joblib"


@pytest.fixture(scope="session")
def library_errors(run: Run, learner_python: Path) -> list[str]:
    """The libraries that do not import in the learner's interpreter."""
    return import_errors(run, learner_python, ["sklearn", "pandas", "joblib"])


# -- the copies' data ------------------------------------------------------------------------


def read_table(path: Path) -> tuple[list[str], Rows]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or ()), list(reader)


def write_table(path: Path, header: list[str], rows: Rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def change_prices(path: Path, change: Any) -> None:
    """Rewrite the price column of a CSV: ``change(prices) -> new prices``."""
    header, rows = read_table(path)
    prices = change([float(row[TARGET]) for row in rows])
    write_table(
        path, header, [{**r, TARGET: f"{p:.0f}"} for r, p in zip(rows, prices, strict=True)]
    )


def mirrored(prices: list[float]) -> list[float]:
    """Each house gets the price of its mirror in price order: the cheapest the dearest."""
    order = sorted(range(len(prices)), key=lambda i: (prices[i], i))
    ranked = sorted(prices)
    new = [0.0] * len(prices)
    for rank, i in enumerate(order):
        new[i] = ranked[-1 - rank]
    return new


def on_the_line(prices: list[float]) -> list[float]:
    """Prices in BAND moved to the line, each on its own side of it."""
    low, high = BAND
    return [
        (EXPENSIVE_PRICE + 1 if p > EXPENSIVE_PRICE else EXPENSIVE_PRICE) if low < p <= high else p
        for p in prices
    ]


CHANGES = {
    "test_changed": {"test.csv": mirrored},
    "boundary": {"train.csv": on_the_line, "test.csv": on_the_line},
}
DESCRIBED = {
    "shipped": "data/raw as shipped",
    "test_changed": "a copy whose data/raw/test.csv prices the check changed (each house priced as "
    "its mirror in price order: the cheapest gets the dearest price); train.csv as shipped",
    "boundary": f"a copy whose prices between ${BAND[0]:,} and ${BAND[1]:,} (train.csv and "
    f"test.csv) the check moved to the line: ${EXPENSIVE_PRICE:,} when at most "
    f"${EXPENSIVE_PRICE:,}, ${EXPENSIVE_PRICE + 1:,} when above (every house keeps its label)",
}


def shipped_raw(week: Week, course_data: Path) -> dict[str, Path]:
    """The files the scaffold lays in data/raw: their names and the course's copies."""
    prefix = RAW + "/"
    return {
        f.path[len(prefix) :]: course_data / f.source
        for f in week.data
        if f.path.startswith(prefix)
    }


def lay_raw(folder: Path, shipped: dict[str, Path], changes: dict[str, Any]) -> None:
    """data/raw of a copy: exactly the shipped files, some with their prices changed."""
    raw = folder / RAW
    if raw.is_symlink() or raw.is_file():
        raw.unlink()
    elif raw.is_dir():
        shutil.rmtree(raw)
    raw.mkdir(parents=True)
    for name, source in shipped.items():
        shutil.copyfile(source, raw / name)
        if name in changes:
            change_prices(raw / name, changes[name])


# -- the runs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trainings:
    """train.py run from a clean start on the shipped data and on the two changed copies."""

    runs: dict[str, CleanRun]

    @property
    def shipped(self) -> CleanRun:
        return self.runs["shipped"]


@pytest.fixture(scope="session")
def trainings(
    run: Run, clean_copy: CleanCopy, learner_python: Path, week: Week, course_data: Path
) -> Trainings:
    """Run `python train.py` in three clean copies at once (once per check run), hashing each
    copy's data/raw before and after (raw data stays untouched)."""
    shipped = shipped_raw(week, course_data)
    folders = {}
    for name in DESCRIBED:
        folders[name] = clean_copy(*OUTPUTS)
        lay_raw(folders[name], shipped, CHANGES.get(name, {}))
    runs = run_clean_all(
        run, learner_python, "train.py", folders, timeout=RUN_TIMEOUT, inputs=RAW, preload=PRELOAD
    )
    return Trainings(runs)


@pytest.fixture(scope="session")
def training_run(trainings: Trainings) -> CleanRun:
    """The clean run on the shipped data."""
    return trainings.shipped


@pytest.fixture(scope="session")
def finished_run(training_run: CleanRun) -> CleanRun:
    """The clean run, or the check is blocked because train.py did not finish."""
    return finished(training_run, "results")


@pytest.fixture(scope="session")
def predictions(
    finished_run: CleanRun,
    trainings: Trainings,
    run: Run,
    learner_python: Path,
    held_out: HeldOut,
) -> dict[str, dict[str, Any]]:
    """For each copy whose run saved both models: each model's class and its predictions on
    the holdout (its features only: the prices stay with the check) and on the copy's own
    data/raw/test.csv (and train.csv, for the shipped copy)."""
    models = finished_run.folder / "models"
    missing = [f"models/{m}.joblib" for m in MODELS if not (models / f"{m}.joblib").is_file()]
    if missing:
        blocked(
            f"train.py did not save {' and '.join(missing)}",
            hint="Make the check 'train.py saves both models and metrics.json' pass first.",
        )
    holdout = str(held_out.features(HOLDOUT, drop=[TARGET]))
    spec = {}
    for name, done in trainings.runs.items():
        if not done.ok:
            continue
        tables = {"holdout": holdout, "test": str(done.folder / RAW / "test.csv")}
        if name == "shipped":
            tables["train"] = str(done.folder / RAW / "train.csv")
        spec[name] = {"models": str(done.folder / "models"), "tables": tables}
    result = run(
        [learner_python, "-c", PREDICT, MARKER, json.dumps(spec)],
        cwd=finished_run.folder,
        timeout=PREDICT_TIMEOUT,
    )
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(MARKER)]
    if not lines:
        failure = {"error": f"loading the models failed: {result.tail(4)}"}
        return {name: dict.fromkeys(MODELS, failure) for name in spec}
    answer: dict[str, dict[str, Any]] = json.loads(lines[-1][len(MARKER) :])
    return answer
