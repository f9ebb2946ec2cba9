"""Week 5 fixtures: the learner's MLflow tracking store, what it holds, and what it means.

The store is the one env.sh declares (``mlops_roadmap.tracking``). Everything MLflow knows is
gathered once, by probe_tracking.py run in the learner's interpreter through `run`
(``mlops_checks.mlflow_probe``): mlflow (5-7 s to import) never loads in the engine. The
judging of one run (its tags, its parameters against its model, its metrics against its
model's real scores) is here too, for the store's runs and for the run train.py logs in a
fresh copy whose data the check changed.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import HOLDOUT, TARGET, mlflow_probe
from mlops_checks.mlflow_probe import FIRST_IMPORT, MARKER, SCORERS, Facts, named_scores
from mlops_checks.scores import REL_TOL, read_prices
from mlops_roadmap import tracking
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import CleanCopy, Run

pytest_plugins = ["mlops_checks.mlflow_fixtures"]
CHECKS_DIR = Path(__file__).resolve().parent
PROBE = CHECKS_DIR / "probe_tracking.py"
EXPERIMENT = "ames-housing"
MAX_RUNS = 20  # newest finished runs whose models are loaded: bounds the probe's time
PROBE_TIMEOUT = 240
TRAIN_TIMEOUT = 240  # seconds for `python train.py` (the solution takes about 12)
CLEAN_OUTPUTS = ("mlflow.db", "mlruns", "mlartifacts")  # left out of the clean copy
FIRST_STORE = (
    "Make the check 'The tracking store declared in env.sh holds the experiment "
    f"{EXPERIMENT}' pass first."
)


def tables(folder: Path) -> list[str]:
    """The probe's NAME=CSV arguments for a week folder's data (train is hashed only)."""
    return [f"{name}={folder / 'data' / 'raw' / name}.csv" for name in ("test", "train")]


def run_probe(
    run: Run, python: Path, store_uri: str, cwd: Path, args: Sequence[str]
) -> dict[str, Any]:
    """probe_tracking.py's answer, or {"crash": what went wrong} when it printed none."""
    argv = [python, PROBE, MARKER, EXPERIMENT, MAX_RUNS, *args]
    return mlflow_probe.run_probe(run, argv, store_uri, cwd, PROBE_TIMEOUT)


@pytest.fixture(scope="session")
def libraries() -> str:
    """What the week's environment must import, for the shared check's message."""
    return "mlflow, scikit-learn and pandas"


@pytest.fixture(scope="session")
def facts(run: Run, learner_python: Path, week_dir: Path, held_out: HeldOut) -> Facts:
    """One probe run: the imports, then (when the store is there) its runs and their models."""
    store = tracking.declared_store(week_dir)
    problem = tracking.store_problem(store)
    holdout = held_out.features(HOLDOUT, drop=[TARGET])  # the prices stay with the check
    args = ["--imports-only"] if problem else [*tables(week_dir), f"holdout={holdout}"]
    return Facts(store, problem, run_probe(run, learner_python, store.uri, week_dir, args))


@pytest.fixture(scope="session")
def experiment(facts: Facts) -> dict[str, Any]:
    """The experiment's facts, or the check is blocked because the store cannot be read."""
    if facts.import_errors:
        blocked("MLflow does not import in the workspace virtual environment", hint=FIRST_IMPORT)
    if facts.problem is not None:
        if facts.problem.blocked:
            blocked(facts.problem.found, hint=facts.problem.hint)
        blocked("the tracking store cannot be read yet", hint=FIRST_STORE)
    tracking = facts.store_facts
    if tracking.get("error") or not tracking.get("experiment"):
        blocked(f"the experiment {EXPERIMENT!r} cannot be read yet", hint=FIRST_STORE)
    if tracking["experiment"]["stage"] != "active":
        blocked(f"the experiment {EXPERIMENT!r} is deleted", hint=FIRST_STORE)
    return tracking


@pytest.fixture(scope="session")
def finished_runs(experiment: dict[str, Any]) -> list[dict[str, Any]]:
    """The newest finished runs (at most MAX_RUNS), each with its logged models."""
    runs = [r for r in experiment["runs"] if r["status"] == "FINISHED" and "models" in r]
    if not runs:
        blocked(
            f"the experiment {EXPERIMENT!r} has no finished run to inspect",
            hint="Make the check 'At least two finished runs with different parameters' "
            "pass first.",
        )
    return runs


# -- one run judged -------------------------------------------------------------------------------

# What a run may log as its model type, and the scikit-learn estimator each value names.
MODEL_TYPES = {
    "linear": "LinearRegression",
    "linearregression": "LinearRegression",
    "ols": "LinearRegression",
    "ridge": "Ridge",
    "lasso": "Lasso",
    "elasticnet": "ElasticNet",
}
MODEL_PARAMS = ("model", "model_type", "model_name", "model_class", "estimator", "regressor")


def prices_of(path: Path) -> list[float] | None:
    """The price column of a CSV file, or None when it cannot be read."""
    try:
        return read_prices(path)
    except (OSError, KeyError, ValueError):
        return None


def label(run: dict[str, Any]) -> str:
    return f"run {run['name']!r} ({run['id'][:8]})"


def newest_model(run: dict[str, Any]) -> dict[str, Any] | None:
    return run["models"][0] if run.get("models") else None


def hash_problems(run: dict[str, Any], hashes: dict[str, list[str]], where: str) -> list[str]:
    """data_md5 must hash the training data (``hashes``: the probe's candidates per table)."""
    tag = str(run["tags"].get("data_md5") or "").strip().lower()
    train = hashes.get("train")
    if not tag or train is None or tag in train:
        return []
    if tag in hashes.get("test", []):
        return [f"{label(run)}: data_md5 {tag} is the MD5 of {where}/test.csv, the test set"]
    return [f"{label(run)}: data_md5 {tag} is no hash of {where}/train.csv (its MD5: {train[0]})"]


FEATURE_LISTS = ("features", "feature_list", "feature_names", "feature_columns", "columns")
FEATURE_COUNTS = ("features", "n_features", "num_features", "feature_count")


def listed_features(value: str, columns: list[str]) -> list[str] | int | None:
    """The feature names a parameter lists, their count when it is a number, or None when it
    names no column of the model at all (then it is not a feature list)."""
    if value.strip().isdigit():
        return int(value)
    names = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", value)
    return names if set(names) & set(columns) else None


def feature_problem(key: str, value: str, inputs: list[str]) -> str:
    """What is wrong with a parameter that lists (or counts) the features, or ''. A name the
    model does not take is always wrong; one it takes but the list lacks only in a list that
    claims to be all of them (features, feature_names...), not in numeric_features."""
    listed, lower = listed_features(value, inputs), key.lower()
    if isinstance(listed, int):
        wrong = lower in FEATURE_COUNTS and listed != len(inputs)
        return f"{key}={value}, but its model takes {len(inputs)} features" if wrong else ""
    if listed is None:
        return ""
    extra = [n for n in listed if n not in inputs]
    missing = [n for n in inputs if n not in listed] if lower in FEATURE_LISTS else []
    if not (extra or missing):
        return ""
    parts = [f"lists {', '.join(extra)}, which its model does not take"] if extra else []
    parts += [f"leaves out {', '.join(missing)}, which its model takes"] if missing else []
    return f"{key} " + " and ".join(parts)


def alpha_problem(key: str, value: str, alpha: float | None) -> str:
    """A regularisation parameter must be the model's alpha (a model without one: no check)."""
    try:
        wrong = alpha is not None and not math.isclose(float(value), alpha, rel_tol=1e-9)
    except ValueError:
        return ""  # not a number: nothing to compare
    return f"{key}={value}, but its model's alpha is {alpha:g}" if wrong else ""


def type_problem(key: str, value: str, estimator: str | None) -> str:
    """A model-type parameter naming a known estimator must name the one logged."""
    named = MODEL_TYPES.get(re.sub(r"[^a-z]", "", value.lower()))
    wrong = bool(named and estimator and named != estimator)
    return f"{key}={value}, but its model is a {estimator}" if wrong else ""


def param_problems(run: dict[str, Any], model: dict[str, Any]) -> list[str]:
    """The parameters must describe the model logged with them: its features, alpha, type."""
    est, inputs = model.get("estimator") or {}, [i["name"] for i in model.get("inputs", [])]
    out = []
    for key, value in run["params"].items():
        lower = key.lower()
        if "feature" in lower or lower == "columns":
            problem = feature_problem(key, value, inputs) if inputs else ""
        elif re.search("alpha|regulari[sz]", lower):
            problem = alpha_problem(key, value, est.get("alpha"))
        else:
            problem = type_problem(key, value, est.get("class")) if lower in MODEL_PARAMS else ""
        out += [f"{label(run)}: {problem}"] if problem else []
    return out


def score_text(score: str, value: float) -> str:
    return f"{value:.6g}" if score == "r2" else f"{value:,.2f}"


def score_problems(run: dict[str, Any], prices: list[float], table: str = "test") -> list[str]:
    """Every test metric the run logged must be what its model scores on ``prices``."""
    model = newest_model(run)
    predicted = (model or {}).get("predictions", {}).get(table)
    if predicted is None:
        return []
    if len(predicted) != len(prices):
        return [f"{label(run)}: its model gave {len(predicted)} predictions for {len(prices)} rows"]
    out = []
    for score, (name, logged) in named_scores(run["metrics"]).items():
        found = SCORERS[score](prices, predicted)
        if not math.isclose(found, logged, rel_tol=REL_TOL, abs_tol=1e-9):
            out.append(
                f"{label(run)} logged {name} {score_text(score, logged)}, its model gives "
                f"{score_text(score, found)}"
            )
    return out


@dataclass(frozen=True)
class CleanTraining:
    """`python train.py` run once in a fresh copy whose data the check changed, and what its
    new store then holds."""

    store_uri: str
    returncode: int
    timed_out: bool
    output_tail: str
    answer: dict[str, Any]
    changed: str = ""  # how the copy's data differs from the learner's, for messages
    test_prices: list[float] | None = None  # the copy's (changed) test set


def change_data(folder: Path) -> str:
    """Change the copy's data as a new delivery would, so that only a hash and metrics computed
    from the files pass: train.csv's rows shuffled (the same houses, other bytes), every fifth
    row of test.csv left out. Returns what was changed."""
    raw = folder / "data" / "raw"
    done = []
    for name, change in (("train.csv", "rows shuffled"), ("test.csv", "every fifth row left out")):
        path = raw / name
        if not path.is_file():
            continue
        header, *rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if name == "train.csv":
            random.Random(5).shuffle(rows)
        else:
            rows = [row for i, row in enumerate(rows) if i % 5 != 4]
        path.write_text(header + "".join(rows), encoding="utf-8")
        done.append(f"data/raw/{name} {change}")
    return ", ".join(done)


@pytest.fixture(scope="module")
def clean_training(run: Run, clean_copy: CleanCopy, learner_python: Path) -> CleanTraining:
    """train.py run in a fresh copy (its data changed) with MLFLOW_TRACKING_URI at a new SQLite
    file there.

    The check never writes to the learner's own store or server; the probe reads the new one.
    """
    folder = clean_copy(*CLEAN_OUTPUTS)
    db = folder / "mlflow.db"
    uri = f"sqlite:///{db}"
    if not (folder / "train.py").is_file():
        return CleanTraining(uri, 2, False, "train.py is missing from the week folder", {})
    changed = change_data(folder)
    env = tracking.probe_env(uri)
    result = run([learner_python, "train.py"], cwd=folder, env=env, timeout=TRAIN_TIMEOUT)
    answer: dict[str, Any] = {}
    if result.returncode == 0 and db.is_file():
        answer = run_probe(run, learner_python, uri, folder, tables(folder))
    prices = prices_of(folder / "data" / "raw" / "test.csv")
    tail = result.tail(8)
    return CleanTraining(uri, result.returncode, result.timed_out, tail, answer, changed, prices)
