"""Week 2: the saved models predict well on houses they never saw, metrics.json means what it
says, the test split is never trained on, and `expensive` is drawn at the lesson's line.

The models are run in the learner's interpreter (the `predictions` fixture, on each of the three
training runs of conftest.py); RMSE and accuracy are computed here in plain Python from the
predictions it prints.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from conftest import DESCRIBED, EXPENSIVE_PRICE, RAW, Trainings

from mlops_checks import HOLDOUT, TARGET
from mlops_checks.clean_run import CleanRun
from mlops_checks.scores import REL_TOL, accuracy, mae, read_prices, rmse, same, which
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.checking import expect, expect_none, fail

# Thresholds on the holdout (380 houses train.py never sees), from the reference solution
# (solutions/week02/train.py: StandardScaler + OneHotEncoder, then LinearRegression or
# LogisticRegression(max_iter=1000)), measured with scikit-learn 1.9.1, pandas 2.3.3, numpy 2.4.6:
#   holdout RMSE 25,694.88 dollars (x 1.15 = 29,549.1); accuracy 0.9289 = 353/380 (- 0.04 = 0.8889).
# Margins: RMSE at most 1.15x the reference, accuracy at least the reference - 0.04.
# (A model on the numeric columns only still passes: 28,995 and 0.916; predicting the
# training mean price fails with 73,604, and always predicting 0 with 0.489.)
MAX_HOLDOUT_RMSE = 29_550.0
MIN_HOLDOUT_ACCURACY = 0.888
# How far the models may move between two runs whose train.csv is the same. Measured on the
# holdout: fitting on train + the changed test.csv moves the reference regressor by $18,977
# (root mean square) and changes 20 of the classifier's 380 labels; a boundary drawn at >= or
# at $150,000 / $170,000 changes 150-161 labels in the boundary copy; an unseeded SGDRegressor
# moves by $1,700 from one run to the next on average ($3,300 at most in 66 pairs of runs), a
# deterministic model by nothing.
MAX_MOVE = 7_500.0  # dollars, root mean square over the holdout
MAX_FLIPS = 4  # holdout labels of 380 (about 1%)
FIT_HINT = (
    "Fit both pipelines on data/raw/train.csv only: test.csv is for measuring them, never for "
    "fitting, refitting or choosing settings. If your model has random parts (SGDRegressor, "
    "shuffling), fix random_state so that two runs agree."
)
LABEL_HINT = (
    f"expensive is price > {EXPENSIVE_PRICE}: a house sold for exactly ${EXPENSIVE_PRICE:,} is "
    f"not expensive and one sold for ${EXPENSIVE_PRICE + 1:,} is: "
    f"(price > {EXPENSIVE_PRICE}).astype(int), for the training labels and for the accuracy."
)
# Room for the clean training runs (240 s at most) and the prediction run (180 s at most),
# whichever check happens to start them.
pytestmark = pytest.mark.timeout(480)


def labels(prices: list[float], line: float = EXPENSIVE_PRICE) -> list[int]:
    return [1 if price > line else 0 for price in prices]


def model_output(
    predictions: dict[str, dict[str, Any]], copy: str, kind: str, table: str, rows: int
) -> list[float]:
    """The predictions of one copy's models/<kind>.joblib on one table, or fail saying why
    there are none."""
    info = predictions.get(copy, {}).get(kind, {})
    if "predictions" not in info:
        fail(
            expected=f"models/{kind}.joblib to load with joblib and predict numbers from a "
            "DataFrame of every column except price"
            + ("" if copy == "shipped" else f", after the run on {DESCRIBED[copy]}"),
            found=str(info.get("error", "train.py saved no model there")),
            hint="Save the whole fitted Pipeline (preprocessing included) with joblib.dump; "
            "the logistic one predicts the label 0 or 1 (price > 160000).",
        )
    values: list[float] = info["predictions"][table]
    expect(
        len(values) == rows,
        expected=f"{rows} predictions for the {rows} rows of {table}",
        found=f"{len(values)} predictions",
        hint="model.predict(X) gives one value per row.",
    )
    return values


def finished_copy(trainings: Trainings, copy: str, hint: str) -> CleanRun:
    """The run on a changed copy, or fail with how it ended."""
    done = trainings.runs[copy]
    if not done.ok:
        fail(
            expected=f"`python train.py` to run on {DESCRIBED[copy]}",
            found=done.problem,
            hint=hint,
        )
    return done


def read_metrics(folder: Path) -> dict[str, float]:
    """metrics.json of a run, or fail saying what is wrong with it."""
    try:
        data = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(
            expected="metrics.json holding a JSON object",
            found=str(exc),
            hint='Write it with json.dumps({"rmse": ..., "accuracy": ...}).',
        )
    bad = [
        k
        for k in ("rmse", "accuracy")
        if not isinstance(data, dict)
        or not isinstance(data.get(k), (int, float))
        or isinstance(data.get(k), bool)
        or not math.isfinite(data[k])
    ]
    expect(
        not bad,
        expected='metrics.json like {"rmse": 24800.0, "accuracy": 0.93}',
        found=f"no number for {', '.join(bad)}: {json.dumps(data)[:200]}",
        hint="Convert numpy numbers with float() before json.dumps.",
    )
    return {"rmse": float(data["rmse"]), "accuracy": float(data["accuracy"])}


@pytest.mark.points(2)
@pytest.mark.hint("Use every feature: scale the numbers and one-hot encode the text columns.")
def test_linear_rmse_on_holdout(predictions: dict[str, Any], held_out: HeldOut) -> None:
    """The linear model predicts unseen house prices well enough (holdout RMSE)"""
    prices = held_out.column(HOLDOUT, TARGET)
    found = rmse(prices, model_output(predictions, "shipped", "linear", "holdout", len(prices)))
    expect(
        found <= MAX_HOLDOUT_RMSE,
        expected=f"an RMSE of at most ${MAX_HOLDOUT_RMSE:,.0f} on {len(prices)} houses the "
        "model has never seen",
        found=f"an RMSE of ${found:,.0f}",
        hint="Train on data/raw/train.csv with all 13 feature columns; one-hot encode "
        "neighborhood and building_type with OneHotEncoder(handle_unknown='ignore').",
    )


@pytest.mark.points(2)
@pytest.mark.hint(
    "Label expensive = price > 160000 and train LogisticRegression on scaled features."
)
def test_logistic_accuracy_on_holdout(predictions: dict[str, Any], held_out: HeldOut) -> None:
    """The logistic model tells expensive houses apart on unseen houses (holdout accuracy)"""
    truth = labels(held_out.column(HOLDOUT, TARGET))
    found = accuracy(truth, model_output(predictions, "shipped", "logistic", "holdout", len(truth)))
    expect(
        found >= MIN_HOLDOUT_ACCURACY,
        expected=f"an accuracy of at least {MIN_HOLDOUT_ACCURACY:.3f} on {len(truth)} houses "
        "the model has never seen",
        found=f"an accuracy of {found:.3f}",
        hint=f"The label is 1 when price > {EXPENSIVE_PRICE} and 0 otherwise; scale the "
        "numeric columns so that LogisticRegression converges (max_iter=1000).",
    )


# -- what metrics.json means ----------------------------------------------------------------

METRIC_HINTS = {
    "MSE": "Take the square root: RMSE = sqrt(mean((price - prediction)^2)), in dollars.",
    "MAE": "RMSE squares the errors before averaging them, then takes the square root.",
    "train": "Measure on data/raw/test.csv, the houses the models were not fitted on.",
    "stale": "Compute metrics.json in every run from the data it reads, data/raw/ beside "
    "train.py (never an absolute path to your own copy): never type numbers in or copy them "
    "from an earlier run.",
    "percent": "Accuracy is a fraction between 0 and 1 (0.93), not a percentage.",
    "error": "Accuracy is the share of labels predicted right, not wrong.",
    "linear": "Accuracy is that of models/logistic.joblib's own labels (classifier.predict), "
    "not of the linear model's prices compared with the line.",
    "line": LABEL_HINT,
}
METRIC_HINT = (
    "RMSE is sqrt(mean((price - prediction)^2)) in dollars; accuracy is the share of correct "
    "0/1 labels; compute both on data/raw/test.csv with the models you save."
)
Candidates = dict[str, dict[str, tuple[str, float]]]  # metric -> what it may be -> (hint, value)


def candidates(
    copy: str, folder: Path, predictions: dict[str, Any], truth: dict[str, float]
) -> Candidates:
    """What a wrong number in metrics.json may really be, by metric."""
    prices = read_prices(folder / RAW / "test.csv")
    linear = model_output(predictions, copy, "linear", "test", len(prices))
    logistic = model_output(predictions, copy, "logistic", "test", len(prices))
    found: Candidates = {
        "rmse": {
            "the MSE (the RMSE squared)": ("MSE", truth["rmse"] ** 2),
            "the mean absolute error": ("MAE", mae(prices, linear)),
        },
        "accuracy": {
            "a percentage": ("percent", 100 * truth["accuracy"]),
            "the error rate (1 - accuracy)": ("error", 1 - truth["accuracy"]),
            # Prices are whole dollars: > 159999 is >= 160000.
            f"the accuracy with expensive = price >= {EXPENSIVE_PRICE}": (
                "line",
                accuracy(labels(prices, EXPENSIVE_PRICE - 1), logistic),
            ),
            "the linear model's prices compared with the line": (
                "linear",
                accuracy(labels(prices), labels(linear)),
            ),
        },
    }
    if copy == "shipped":
        train = read_prices(folder / RAW / "train.csv")
        found["rmse"]["the RMSE on data/raw/train.csv"] = (
            "train",
            rmse(train, model_output(predictions, copy, "linear", "train", len(train))),
        )
        found["accuracy"]["the accuracy on data/raw/train.csv"] = (
            "train",
            accuracy(
                labels(train), model_output(predictions, copy, "logistic", "train", len(train))
            ),
        )
    return found


def scores(copy: str, folder: Path, predictions: dict[str, Any]) -> dict[str, float]:
    """The saved models' real RMSE and accuracy on the copy's own test.csv."""
    prices = read_prices(folder / RAW / "test.csv")
    return {
        "rmse": rmse(prices, model_output(predictions, copy, "linear", "test", len(prices))),
        "accuracy": accuracy(
            labels(prices), model_output(predictions, copy, "logistic", "test", len(prices))
        ),
    }


def metric_problems(
    copy: str, folder: Path, predictions: dict[str, Any], earlier: dict[str, float]
) -> list[tuple[str, str]]:
    """(problem, hint key) for each number of a run's metrics.json that is not what it says."""
    metrics, truth = read_metrics(folder), scores(copy, folder, predictions)
    wrong = [k for k in ("rmse", "accuracy") if not same(metrics[k], truth[k])]
    if not wrong:
        return []
    maybe = candidates(copy, folder, predictions, truth)
    for key, value in earlier.items():
        maybe[key]["the number of the run on the shipped data: it did not follow the data"] = (
            "stale",
            value,
        )
    where = "" if copy == "shipped" else f", in the run on {DESCRIBED[copy]}"
    out = []
    for key in wrong:
        name = which(metrics[key], {n: v for n, (_, v) in maybe[key].items()})
        out.append(
            (
                f"{key}: {metrics[key]:.6g} in metrics.json, the saved models give "
                f"{truth[key]:.6g} on {RAW}/test.csv{where}" + (f" ({name})" if name else ""),
                maybe[key][name][0] if name else "",
            )
        )
    return out


@pytest.mark.points(1)
@pytest.mark.hint("Compute both metrics on data/raw/test.csv with the models you save.")
def test_metrics_match_test_set(
    finished_run: CleanRun, trainings: Trainings, predictions: dict[str, Any]
) -> None:
    """metrics.json holds the models' RMSE in dollars and accuracy as a fraction on test.csv"""
    problems = metric_problems("shipped", finished_run.folder, predictions, {})
    if not problems:
        done = finished_copy(trainings, "test_changed", hint=FIT_HINT)
        earlier = read_metrics(finished_run.folder)
        problems = metric_problems("test_changed", done.folder, predictions, earlier)
    hints = list(dict.fromkeys(METRIC_HINTS[k] for _, k in problems if k))
    expect_none(
        [p for p, _ in problems],
        expected="metrics.json's rmse and accuracy equal to the saved models' scores on "
        f"data/raw/test.csv, each run (relative tolerance {REL_TOL:g})",
        hint=" ".join(hints) or METRIC_HINT,
    )


# -- the test split and the line ------------------------------------------------------------


def moved(a: list[float], b: list[float]) -> float:
    """Root mean square of the change between two runs' predictions."""
    return math.sqrt(math.fsum((x - y) ** 2 for x, y in zip(a, b, strict=True)) / len(a))


def flips(a: list[float], b: list[float]) -> int:
    return sum(1 for x, y in zip(a, b, strict=True) if x != y)


@pytest.mark.points(1)
@pytest.mark.hint(FIT_HINT)
def test_test_split_not_trained_on(
    trainings: Trainings, predictions: dict[str, Any], held_out: HeldOut
) -> None:
    """The models are fitted on train.csv alone: changing test.csv's prices moves neither"""
    rows = len(held_out.column(HOLDOUT, TARGET))
    finished_copy(trainings, "test_changed", hint=FIT_HINT)

    price_a, price_b, label_a, label_b = (
        model_output(predictions, copy, kind, "holdout", rows)
        for kind in ("linear", "logistic")
        for copy in ("shipped", "test_changed")
    )
    problems = []
    if (shift := moved(price_a, price_b)) > MAX_MOVE:
        problems.append(
            f"models/linear.joblib's holdout prices moved by ${shift:,.0f} (root mean square; "
            f"the first house ${price_a[0]:,.0f} -> ${price_b[0]:,.0f})"
        )
    if (changed := flips(label_a, label_b)) > MAX_FLIPS:
        problems.append(f"models/logistic.joblib changed {changed} of its {rows} holdout labels")
    expect_none(
        problems,
        expected=f"the models trained on {DESCRIBED['test_changed']} to predict the "
        f"{rows} holdout houses as those trained on the shipped data (at most "
        f"${MAX_MOVE:,.0f} and {MAX_FLIPS} labels apart): the test split is never trained on",
        hint=FIT_HINT,
    )


@pytest.mark.points(1)
@pytest.mark.hint(LABEL_HINT)
def test_expensive_boundary(
    trainings: Trainings, predictions: dict[str, Any], held_out: HeldOut
) -> None:
    """expensive means price > 160000: houses at the line are labelled right"""
    rows = len(held_out.column(HOLDOUT, TARGET))
    done = finished_copy(trainings, "boundary", hint=LABEL_HINT)
    before = model_output(predictions, "shipped", "logistic", "holdout", rows)
    after = model_output(predictions, "boundary", "logistic", "holdout", rows)
    problems = []
    if (changed := flips(before, after)) > MAX_FLIPS:
        problems.append(
            f"models/logistic.joblib changed {changed} of its {rows} holdout labels: its "
            "training labels moved with the prices, though no house crossed the line"
        )
    prices = read_prices(done.folder / RAW / "test.csv")
    logistic = model_output(predictions, "boundary", "logistic", "test", len(prices))
    reported = read_metrics(done.folder)["accuracy"]
    right = accuracy(labels(prices), logistic)
    at_line = sum(1 for p in prices if p in (EXPENSIVE_PRICE, EXPENSIVE_PRICE + 1))
    if not same(reported, right):
        problems.append(
            f"metrics.json's accuracy is {reported:.6g}, but with expensive = price > "
            f"{EXPENSIVE_PRICE} the saved classifier scores {right:.6g} on that copy's "
            f"test.csv ({at_line} of its {len(prices)} houses sit at ${EXPENSIVE_PRICE:,} or "
            f"${EXPENSIVE_PRICE + 1:,})"
        )
    expect_none(
        problems,
        expected=f"after a run on {DESCRIBED['boundary']}: the same classifier as on the "
        "shipped data, and metrics.json's accuracy counting the houses at the line right",
        hint=LABEL_HINT,
    )
