"""Week 18: the pipeline's components run, in order, as their pods would (the compiled source
on kfp's executor, in your interpreter, without the pip install), on data the check lays; the
Model artifact is then loaded back and its metric recomputed by the check, on that test set
and on held-out houses only the check holds the prices of; training again on other test
prices shows whether the model learned from the test rows.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import HERE, Note, Ran, Runner, TaskRun, finished, one, run_tasks, upstream

from mlops_checks import HOLDOUT, kfp_ir
from mlops_checks.scores import rmse
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.checking import blocked, expect, fail
from mlops_roadmap.fixtures import Run

pytestmark = pytest.mark.timeout(900)
MARKER = "KFP-MODEL-JSON:"
REL_TOL = 1e-6
HELD_OUT_RMSE = 40_000.0  # the lesson's Ridge scores about 25,000 on the held-out houses
ALPHA_FACTOR = 1000.0
LEAK_FACTOR = 3  # test.csv's prices, tripled, for a second training
LEAK_SHIFT = 0.02  # a model that never saw them moves its mean price less than this (nothing)


@pytest.mark.points(3)
def test_tasks_run(ran: Ran, record_property: Note) -> None:
    """Each component runs in order on the check's data"""
    expect(
        not ran.failed,
        expected="every task of the compiled pipeline to run to the end "
        "with source_dir the check's folder and the parameters' defaults",
        found=ran.failed,
        hint="Run `python pipeline.py`; a component must import what it uses inside its "
        "function and read its inputs only from its parameters and Input paths.",
    )
    seconds = sum(r.result.duration for r in ran.runner.done.values())
    record_property("tasks", f"{len(ran.runner.done)} in {seconds:.0f} s")
    if ran.nested:
        record_property("nested", f"{', '.join(ran.nested)} (run in the end-to-end check)")


def predictions(
    run: Run, python: Path, models: list[Path], tables: list[Path]
) -> list[list[list[float]]]:
    result = run(
        [
            python,
            HERE / "probe_model.py",
            json.dumps([str(m) for m in models]),
            json.dumps([str(t) for t in tables]),
        ],
        timeout=300,
    )
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(MARKER)]
    answer: dict[str, Any] = (
        json.loads(lines[-1][len(MARKER) :]) if lines else {"error": result.tail(6)}
    )
    if answer["error"]:
        fail(
            expected="the Model artifact to load with joblib and predict prices",
            found=answer["error"],
            hint="joblib.dump the fitted scikit-learn Pipeline to model.path.",
        )
    found: list[list[list[float]]] = answer["predictions"]
    return found


def model_path(trainer: kfp_ir.Task, done: TaskRun) -> Path:
    """Where a run of the training task wrote its Model."""
    return next(p for k, p in done.outcome.paths.items() if trainer.outputs[k] == kfp_ir.TYPES[1])


def prices(path: Path) -> list[float]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [float(r["price"]) for r in csv.DictReader(handle)]


@pytest.mark.points(3)
def test_metric_is_the_models_own(
    ran: Ran,
    run: Run,
    learner_python: Path,
    data_dir: Path,
    held_out: HeldOut,
    record_property: Note,
) -> None:
    """The logged rmse is the Model's own on the test set, and it prices unseen houses well"""
    runner = finished(ran)
    trainer, evaluator = (
        one(runner.pipeline, kfp_ir.TYPES[1]),
        one(runner.pipeline, kfp_ir.TYPES[2]),
    )
    model = model_path(trainer, runner.done[trainer.name])
    features = held_out.features(HOLDOUT, drop=["price"])
    on_test, on_held = predictions(run, learner_python, [model], [data_dir / "test.csv", features])[
        0
    ]
    real = rmse(on_test, prices(data_dir / "test.csv"))
    logged = {
        k: v
        for m in runner.done[evaluator.name].outcome.metadata.values()
        for k, v in m.items()
        if isinstance(v, (int, float))
    }
    expect(
        "rmse" in logged,
        expected='metrics.log_metric("rmse", ...) in the evaluate step',
        found=f"its Metrics hold {logged or 'nothing'}",
    )
    expect(
        math.isclose(logged["rmse"], real, rel_tol=REL_TOL),
        expected=f"the logged rmse to be the model's RMSE on the test.csv it was given "
        f"({real:,.2f}; the check's own rows)",
        found=f"{logged['rmse']:,.2f}",
        hint="Score the Input[Model] on the Input[Dataset] test rows: sqrt(mean((pred - "
        "price)^2)), not a number from another run or another file.",
    )
    returned = runner.done[evaluator.name].outcome.params.get("Output")
    if returned is not None:
        expect(
            math.isclose(float(returned), real, rel_tol=REL_TOL),
            expected=f"evaluate to return the rmse it logged ({real:,.2f})",
            found=str(returned),
        )
    unseen = rmse(on_held, [float(v) for v in held_out.column(HOLDOUT, "price")])
    record_property("held-out rmse", f"{unseen:,.0f}")
    expect(
        unseen <= HELD_OUT_RMSE,
        expected=f"RMSE at most {HELD_OUT_RMSE:,.0f} on {len(on_held)} held-out houses",
        found=f"{unseen:,.0f}",
        hint="Fit the week 2 pipeline (scaled numbers, one-hot text columns) with Ridge.",
    )


@pytest.mark.points(1)
def test_alpha_reaches_the_model(ran: Ran, run: Run, learner_python: Path, data_dir: Path) -> None:
    """alpha changes the trained model"""
    runner = finished(ran)
    trainer = one(runner.pipeline, kfp_ir.TYPES[1])
    alpha = float(runner.arguments.get("alpha") or 1.0)
    other = runner.task(trainer, "alpha", alpha=alpha * ALPHA_FACTOR)
    if other.result.returncode != 0:
        fail(
            expected=f"{trainer.name} to run with alpha={alpha * ALPHA_FACTOR:g}",
            found=other.result.tail(6),
        )
    paths = [model_path(trainer, runner.done[trainer.name]), model_path(trainer, other)]
    first, second = (p[0] for p in predictions(run, learner_python, paths, [data_dir / "test.csv"]))
    expect(
        any(not math.isclose(a, b, rel_tol=1e-9) for a, b in zip(first, second, strict=True)),
        expected=f"other prices with alpha={alpha * ALPHA_FACTOR:g} than with {alpha:g}",
        found="the same prices",
        hint="Ridge(alpha=alpha): use the parameter.",
    )


@pytest.mark.points(1)
def test_gate_fails_the_step(ran: Ran) -> None:
    """A too-strict max_rmse fails the evaluate step"""
    runner = finished(ran)
    evaluator = one(runner.pipeline, kfp_ir.TYPES[2])
    if {"pipeline": "max_rmse"} not in evaluator.params_in.values():
        blocked(
            "max_rmse does not reach the evaluate step",
            hint="Make the check on the parameters pass first.",
        )
    strict = runner.task(evaluator, "gate", max_rmse=1.0)
    expect(
        strict.result.returncode != 0,
        expected=f"{evaluator.name} with max_rmse=1.0 to fail (raise), which stops the run",
        found="it succeeded",
        hint="if rmse > max_rmse: raise ValueError(...)",
    )


def tripled_test_prices(data_dir: Path, folder: Path) -> Path:
    """The check's data with the same train.csv and test.csv's prices tripled."""
    shutil.copyfile(data_dir / "train.csv", folder / "train.csv")
    with (data_dir / "test.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, rows = list(reader.fieldnames or []), list(reader)
    for row in rows:
        row["price"] = str(round(float(row["price"]) * LEAK_FACTOR))
    with (folder / "test.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(rows)
    return folder


@pytest.mark.points(1)
def test_trained_on_train_rows_only(
    ran: Ran,
    run: Run,
    learner_python: Path,
    data_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The model learns from the train rows alone, never from test.csv"""
    runner = finished(ran)
    trainer = one(runner.pipeline, kfp_ir.TYPES[1])
    leaked = tripled_test_prices(data_dir, tmp_path_factory.mktemp("leak-data"))
    arguments = {**runner.arguments, "source_dir": str(leaked)}
    other = Runner(run, learner_python, runner.pipeline, tmp_path_factory.mktemp("leak"), arguments)
    failed = run_tasks(other, upstream(runner.pipeline, trainer))
    if failed:
        fail(
            expected=f"{trainer.name} to train again on a source_dir with other test prices",
            found=failed,
        )
    paths = [
        model_path(trainer, runner.done[trainer.name]),
        model_path(trainer, other.done[trainer.name]),
    ]
    first, second = (p[0] for p in predictions(run, learner_python, paths, [data_dir / "test.csv"]))
    before, after = sum(first) / len(first), sum(second) / len(second)
    expect(
        abs(after - before) <= LEAK_SHIFT * abs(before),
        expected="the same model when only test.csv's prices change",
        found=f"with test.csv's prices tripled (train.csv the same), the model's mean price for "
        f"the test houses went from {before:,.0f} to {after:,.0f}: {trainer.name} learned from "
        "the test rows",
        hint="Fit on the train Dataset alone: the test rows are evaluate's, and a model that "
        "has seen them scores better on them than it ever will on new houses.",
    )
