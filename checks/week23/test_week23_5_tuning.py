"""Week 23: hyperparameter tuning tracked in MLflow. The `tuning_facts` fixture (conftest.py)
read the week's tracking store in the learner's interpreter: every parent run with its nested
children, and every registered model version with its source run. The tuning parent is the one
whose finished children share a metric the checks can rank (rmse, mae... lower is better; r2,
accuracy... higher), the most children first; the best child is judged here from their metrics.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from mlops_checks import HOLDOUT, TARGET
from mlops_checks.mlflow_probe import Facts, mae, r2, readable_store
from mlops_checks.scores import rmse
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.checking import blocked, expect, fail

MIN_CHILDREN = 3
REL_TOL = 1e-6
RUN_IT = (
    "Run your tuning script from the week folder with the store set: "
    "`export MLFLOW_TRACKING_URI=sqlite:///mlflow.db` (or `source env.sh`), then `python tune.py`."
)
FIRST_TUNING = (
    "Make the check 'A tuning parent run has at least 3 finished child runs with their own "
    "params and a metric' pass first."
)
LOWER = re.compile(r"(?i)(rmse|mse|mae|mape|loss|error|deviance)")
HIGHER = re.compile(r"(?i)(r2|accuracy|acc|auc|f1|precision|recall|score)")
TRAIN = re.compile(r"(?i)train")
pytestmark = pytest.mark.timeout(360)  # room for the probe (240 s at most) in the first check


def direction(name: str) -> bool | None:
    """True when a lower value of the metric is better, False when higher, None when unknown."""
    if LOWER.search(name):
        return True
    if HIGHER.search(name):
        return False
    return None


def rank(name: str) -> tuple[bool, int, int]:
    """Which common metric judges the children: not a training score, rmse-like first."""
    kind = 0 if "rmse" in name.lower() else 1 if LOWER.search(name) else 2
    return bool(TRAIN.search(name)), kind, len(name)


@dataclass(frozen=True)
class Tuning:
    """A parent run, its finished children and the metric they are ranked by."""

    parent: dict[str, Any]
    children: list[dict[str, Any]]  # finished, each logging the metric
    metric: str
    lower: bool

    def value(self, child: dict[str, Any]) -> float:
        return float(child["metrics"][self.metric])

    @property
    def best_value(self) -> float:
        values = [self.value(c) for c in self.children]
        return min(values) if self.lower else max(values)

    @property
    def best(self) -> list[dict[str, Any]]:
        return [c for c in self.children if same(self.value(c), self.best_value)]

    def describe(self, child: dict[str, Any]) -> str:
        return f"run {child['run_id']} ({self.metric} {self.value(child):,.6g})"

    @property
    def best_text(self) -> str:
        direction = "lowest" if self.lower else "highest"
        return " or ".join(self.describe(c) for c in self.best) + f", the {direction}"


def same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL)


def finished_children(parent: dict[str, Any]) -> tuple[list[dict[str, Any]], set[str]]:
    """A parent's finished children and the metrics every one of them logged."""
    finished = [c for c in parent["children"] if c["status"] == "FINISHED"]
    common = set.intersection(*(set(c["metrics"]) for c in finished)) if finished else set()
    return finished, common


def candidate(parent: dict[str, Any]) -> Tuning | None:
    """The parent judged as a tuning run: its finished children and their best common metric."""
    finished, common = finished_children(parent)
    ranked = sorted((m for m in common if direction(m) is not None), key=rank)
    if not ranked or parent.get("missing"):
        return None
    lower = direction(ranked[0])
    return Tuning(parent, finished, ranked[0], bool(lower))


def parameter_sets(tuning: Tuning) -> int:
    return len({json.dumps(c["params"], sort_keys=True) for c in tuning.children})


def tuning_runs(store: dict[str, Any]) -> list[Tuning]:
    """The parents that qualify, best first: most distinct children, then the newest."""
    found = [t for t in map(candidate, store.get("parents", [])) if t is not None]
    return sorted(found, key=lambda t: (parameter_sets(t), t.parent["start"]), reverse=True)


def store_of(facts: Facts) -> dict[str, Any]:
    """The probe's reading of the store; a missing store fails with how to make it."""
    problem = facts.problem
    if problem is not None and not problem.blocked and not facts.import_errors:
        fail(
            expected=f"an MLflow tracking store at {facts.store.declared} ({facts.store.origin}) "
            "holding your tuning runs",
            found=problem.found,
            hint=RUN_IT,
        )
    hint = "Install MLflow in the workspace virtual environment (`pip install mlflow`)."
    return readable_store(facts, "the tracking store", hint, RUN_IT)


@pytest.fixture(scope="module")
def tuning(tuning_facts: Facts) -> Tuning:
    """The tuning parent the checks judge, or blocked when there is none to judge."""
    if tuning_facts.import_errors or tuning_facts.problem is not None:
        blocked("the tracking store cannot be read", hint=FIRST_TUNING)
    found = tuning_runs(tuning_facts.store_facts)
    if not found:
        blocked("no parent run whose finished children log a common metric", hint=FIRST_TUNING)
    return found[0]


def children_text(parent: dict[str, Any]) -> str:
    """A parent's children as the first check saw them: how many finished, what they share."""
    finished, common = finished_children(parent)
    shared = ", ".join(sorted(common)) or "none"
    total = len(parent["children"])
    return f"{len(finished)} of {total} child(ren) finished, metrics all of them log: {shared}"


@pytest.mark.points(2)
def test_tuning_runs(tuning_facts: Facts) -> None:
    """A tuning parent run has at least 3 finished child runs with their own params and a metric"""
    store = store_of(tuning_facts)
    parents = store.get("parents", [])
    found = tuning_runs(store)
    expect(
        bool(found),
        expected="a parent run with nested child runs (mlflow.start_run(nested=True)), each "
        "finished child logging the same metric (e.g. val_rmse)",
        found=f"{store.get('runs', 0)} run(s), {len(parents)} of them parent(s)"
        + "".join(f"; parent {p['run_id']}: {children_text(p)}" for p in parents),
        hint=RUN_IT,
    )
    best = found[0]
    expect(
        parameter_sets(best) >= MIN_CHILDREN,
        expected=f"at least {MIN_CHILDREN} finished child runs of one parent, each with its own "
        f"parameters, logging {best.metric}",
        found=f"parent {best.parent['run_id']} has {len(best.children)} finished child run(s) "
        f"logging {best.metric}, with {parameter_sets(best)} distinct parameter set(s)",
        hint="Try at least three settings (e.g. three Ridge alphas), each in its own nested run "
        "that logs its params and the metric.",
    )


def references(tuning: Tuning) -> dict[str, str]:
    """run id -> where the parent names it (a tag or param holding a child's run id)."""
    named: dict[str, str] = {}
    ids = {c["run_id"] for c in tuning.children}
    for kind in ("tags", "params"):
        for key, value in tuning.parent[kind].items():
            if str(value).strip() in ids:
                named.setdefault(str(value).strip(), f"{kind[:-1]} {key}")
    return named


def recorded_best(tuning: Tuning) -> tuple[bool, str]:
    """Whether the parent records the best child, and what it records."""
    best = {c["run_id"] for c in tuning.best}
    named = references(tuning)
    if named:
        right = [r for r in named if r in best]
        return bool(right), "; ".join(f"{w} = {r}" for r, w in named.items())
    metrics = tuning.parent["metrics"]
    for key, value in metrics.items():
        if same(float(value), tuning.best_value):
            return True, f"metric {key} = {value:,.6g}"
    values = ", ".join(f"{k} = {v:,.6g}{whose(tuning, float(v))}" for k, v in metrics.items())
    return False, f"metrics {values}" if values else "no tag, param or metric naming a child"


def whose(tuning: Tuning, value: float) -> str:
    """' (run X's metric)' when a child's metric has this value."""
    runs = [c["run_id"] for c in tuning.children if same(tuning.value(c), value)]
    return f" (run {runs[0]}'s {tuning.metric})" if runs else ""


def child_by_id(tuning: Tuning, run_id: str) -> dict[str, Any] | None:
    return next((c for c in tuning.children if c["run_id"] == run_id), None)


@pytest.mark.points(1)
def test_parent_records_best(tuning: Tuning) -> None:
    """The tuning parent records its best child (its run id, or the best metric value)"""
    right, records = recorded_best(tuning)
    named = [child_by_id(tuning, r) for r in references(tuning)]
    found = "; ".join(f"it names {tuning.describe(c)}" for c in named if c) or records
    found += f"; the best child is {tuning.best_text}" if named else ""
    expect(
        right,
        expected=f"parent {tuning.parent['run_id']} to record its best child: {tuning.best_text} "
        f"(a tag such as best_run_id, or its {tuning.metric} value as a metric)",
        found=found if named else f"parent records {records}",
        hint=f"Pick the best child by {tuning.metric} ("
        + ("min" if tuning.lower else "max")
        + "), then mlflow.set_tag('best_run_id', ...) and log its value on the parent.",
    )


def judged_version(tuning: Tuning, versions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The registered version judged: from the tuning runs, the champion first, then one from
    the best child, then the newest."""
    runs = {c["run_id"] for c in tuning.children} | {tuning.parent["run_id"]}
    ours = [v for v in versions if v["run_id"] in runs]
    if not ours:
        return None
    best = {c["run_id"] for c in tuning.best}
    if recorded_best(tuning)[0]:
        best.add(tuning.parent["run_id"])
    return max(ours, key=lambda v: ("champion" in v["aliases"], v["run_id"] in best, v["created"]))


@pytest.mark.points(1)
def test_best_child_registered(tuning: Tuning, tuning_facts: Facts) -> None:
    """A registered model version comes from the best child run (the champion if several)"""
    versions = tuning_facts.store_facts.get("versions", [])
    chosen = judged_version(tuning, versions)
    if chosen is None:
        listed = [f"{v['model']} v{v['version']} from run {v['run_id'] or '?'}" for v in versions]
        fail(
            expected=f"a registered model version whose source run is the best child: "
            f"{tuning.best_text}",
            found="registered versions: " + (", ".join(listed) or "none"),
            hint="Register the best child's model: mlflow.register_model("
            "f'runs:/{best_run_id}/model', 'ames-price-tuned'), then set the alias champion.",
        )
    name = f"{chosen['model']} version {chosen['version']}"
    run_id = chosen["run_id"]
    child = child_by_id(tuning, run_id)
    if run_id == tuning.parent["run_id"]:
        source = f"the parent run {run_id}, which does not record its best child"
    else:
        source = tuning.describe(child) if child else f"run {run_id}"
    expect(
        child in tuning.best or (child is None and recorded_best(tuning)[0]),
        expected=f"a registered version from the best child: {tuning.best_text}",
        found=f"{name} comes from {source}; the best child is {tuning.best_text}",
        hint="Register the model of the child with the best metric, not the last or the first.",
    )


# The held-out score a ranked metric's name promises, and how far a validation split's value
# may honestly fall from it (a validation split of 500 houses is noisy, a wrong unit or scale is
# not): error metrics within a factor, r2 within an absolute distance.
ERROR_FACTOR = 2.0
R2_DISTANCE = 0.25
# The child the parent's metric calls best may lose to another child on unseen houses by this
# much (validation splits disagree a little), no more.
BEST_SLACK = 0.15
R2_SLACK = 0.05
PRICE_DIGITS = 0  # predictions equal to the dollar are the same model
Scorer = Callable[[Sequence[float], Sequence[float]], float]


def rmsle(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """Root mean squared log error, as scikit-learn's root_mean_squared_log_error (nan when a
    prediction is -1 or below)."""
    pairs = list(zip(actual, predicted, strict=True))
    if any(p <= -1 for _, p in pairs):
        return math.nan
    return math.sqrt(math.fsum((math.log1p(p) - math.log1p(a)) ** 2 for a, p in pairs) / len(pairs))


def mse(actual: Sequence[float], predicted: Sequence[float]) -> float:
    return rmse(actual, predicted) ** 2


@dataclass(frozen=True)
class Score:
    """What a metric's name says it measures: its label, how to compute it, how far a
    validation split's value may honestly fall from the held-out one."""

    label: str
    compute: Scorer
    factor: float = ERROR_FACTOR  # error metrics: within a factor
    distance: float | None = None  # r2: within an absolute distance

    def plausible(self, logged: float, recomputed: float) -> bool:
        if not (math.isfinite(logged) and math.isfinite(recomputed)):
            return False
        if self.distance is not None:
            return abs(logged - recomputed) <= self.distance
        return recomputed / self.factor <= logged <= recomputed * self.factor

    def text(self, value: float) -> str:
        return f"${value:,.0f}" if self.label in {"RMSE", "MAE"} else f"{value:,.4g}"

    @property
    def band(self) -> str:
        if self.distance is not None:
            return f"within {self.distance:g} of"
        return f"within a factor of {self.factor:g} of"


SCORES: list[tuple[re.Pattern[str], Score]] = [
    (re.compile(r"(?i)rmsle"), Score("RMSLE", rmsle)),
    (re.compile(r"(?i)rmse"), Score("RMSE", rmse)),
    (re.compile(r"(?i)mae"), Score("MAE", mae)),
    (re.compile(r"(?i)mse"), Score("MSE", mse, factor=ERROR_FACTOR**2)),
    (re.compile(r"(?i)r2"), Score("r2", r2, distance=R2_DISTANCE)),
]


def score_of(metric: str) -> Score | None:
    """What the metric's name says it measures, when the checks can recompute it."""
    return next((score for pattern, score in SCORES if pattern.search(metric)), None)


@pytest.mark.points(2)
def test_children_models_score(tuning: Tuning, held_out: HeldOut) -> None:
    """Each tuning child's model differs with its params and scores unseen houses as logged"""
    prices = held_out.column(HOLDOUT, TARGET)
    missing = [c for c in tuning.children if "predictions" not in c]
    expect(
        not missing,
        expected="every finished child run logs its fitted model, which loads with "
        "mlflow.pyfunc and predicts a price per house",
        found="; ".join(
            f"run {c['run_id']}: {c.get('model_error', 'its model was not read')}"
            + (f" (loading {c['model']})" if c.get("model") else "")
            for c in missing[:3]
        ),
        hint="In each nested run, log the pipeline you fitted: "
        "mlflow.sklearn.log_model(pipeline, name='model', input_example=X.head(5)).",
    )
    bad = [c for c in tuning.children if len(c["predictions"]) != len(prices)]
    expect(
        not bad,
        expected=f"one price per house: {len(prices)} predictions",
        found="; ".join(f"run {c['run_id']}: {len(c['predictions'])}" for c in bad[:3]),
        hint="The logged model must take the raw house columns and return one price a house.",
    )
    models = {tuple(round(p, PRICE_DIGITS) for p in c["predictions"]) for c in tuning.children}
    wanted = min(MIN_CHILDREN, parameter_sets(tuning))
    expect(
        len(models) >= wanted,
        expected=f"the children's different params to make different models: at least {wanted} "
        "different sets of predictions",
        found=f"{len(tuning.children)} children with {parameter_sets(tuning)} parameter sets "
        f"predict {len(models)} different set(s) of prices for {len(prices)} unseen houses",
        hint="Pass each trial's setting to the estimator you fit (Ridge(alpha=alpha)), not only "
        "to mlflow.log_params.",
    )
    score = score_of(tuning.metric)
    if score is None:
        return
    found = {c["run_id"]: score.compute(prices, c["predictions"]) for c in tuning.children}
    wrong = [c for c in tuning.children if not score.plausible(tuning.value(c), found[c["run_id"]])]
    expect(
        not wrong,
        expected=f"each child's {tuning.metric} to measure its own model's {score.label} in the "
        f"target's units: a validation split's value lands {score.band} the {score.label} on "
        f"{len(prices)} unseen houses",
        found="; ".join(
            f"run {c['run_id']} logs {tuning.metric} {tuning.value(c):,.6g}, its model's "
            f"{score.label} on unseen houses is {score.text(found[c['run_id']])}"
            for c in wrong[:3]
        ),
        hint=f"Compute {tuning.metric} from the model's predictions on your validation rows, "
        "in dollars (not thousands, not log prices, not a squared error named as an RMSE), "
        "and log the value you computed rather than a typed-in one.",
    )
    lower = score.distance is None
    best_unseen = (min if lower else max)(found.values())
    claimed = tuning.best[0]
    theirs = found[claimed["run_id"]]
    close = theirs <= best_unseen * (1 + BEST_SLACK) if lower else theirs >= best_unseen - R2_SLACK
    winner = next(c for c in tuning.children if found[c["run_id"]] == best_unseen)
    expect(
        close,
        expected=f"the child {tuning.metric} calls best to be about as good on unseen houses as "
        "the best child (" + (f"within {BEST_SLACK:.0%})" if lower else f"r2 within {R2_SLACK:g})"),
        found=f"{tuning.describe(claimed)} scores {score.text(theirs)} {score.label} on "
        f"{len(prices)} unseen houses; {tuning.describe(winner)} scores "
        f"{score.text(best_unseen)}",
        hint=f"Log each child's {tuning.metric} as computed on its own predictions for the "
        "same validation rows, so the best one is really the best.",
    )
