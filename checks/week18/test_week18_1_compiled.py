"""Week 18: pipeline.py compiles with kfp's own compiler, and the compiled IR (what a Kubeflow
cluster would run) has the shape the lesson asks for: typed artifacts passed from task to task,
parameters with defaults reaching the components that use them, pinned images.
"""

from __future__ import annotations

import pytest
from conftest import COMPILE_TITLE, NAME, Compiled, one

from mlops_checks import kfp_ir
from mlops_roadmap.checking import blocked, expect, expect_none, fail

DATASET, MODEL, METRICS = kfp_ir.TYPES


@pytest.mark.points(2)
def test_compiles(compiled: Compiled) -> None:
    """pipeline.py compiles the pipeline housing-training with kfp's compiler"""
    if compiled.spec is None:
        named = f" (it defines: {', '.join(compiled.found)})" if compiled.found else ""
        fail(
            expected=f"`import pipeline` and kfp.compiler to compile the @dsl.pipeline named "
            f"{NAME!r}",
            found=compiled.problem + named,
            hint='Run `python -c "import pipeline"` in the week folder and fix the first '
            'error; the decorator is @dsl.pipeline(name="housing-training").',
        )


def flows(pipeline: kfp_ir.Pipeline) -> list[str]:
    """Dataset -> the Model's task -> the Metrics' task, each by artifact."""
    problems = []
    for schema in (DATASET, MODEL, METRICS):
        if not pipeline.producing(schema):
            problems.append(f"no component outputs a {schema.split('.')[1]}")
    if problems:
        return problems
    trainer, evaluator = one(pipeline, MODEL), one(pipeline, METRICS)
    datasets = {
        (t.name, k)
        for t in pipeline.producing(DATASET)
        for k, s in t.outputs.items()
        if s == DATASET
    }
    if not set(trainer.artifacts_in.values()) & datasets:
        problems.append(f"task {trainer.name} (the Model's) takes no Dataset from another task")
    models = {(trainer.name, k) for k, s in trainer.outputs.items() if s == MODEL}
    if not set(evaluator.artifacts_in.values()) & models:
        problems.append(
            f"task {evaluator.name} (the Metrics') does not take {trainer.name}'s Model"
        )
    if not set(evaluator.artifacts_in.values()) & datasets:
        problems.append(f"task {evaluator.name} (the Metrics') takes no Dataset to score on")
    return problems


@pytest.mark.points(2)
def test_artifacts(pipeline: kfp_ir.Pipeline) -> None:
    """A Dataset feeds training, its Model feeds evaluation, which outputs Metrics"""
    expect_none(
        flows(pipeline),
        expected="Output[Dataset] -> Input[Dataset] of the task that "
        "outputs a Model -> Input[Model] of the task that outputs Metrics (which also "
        "takes a Dataset)",
        hint='Pass data.outputs["train"] and '
        'trained.outputs["model"] into the next components: passing an output is '
        "what makes the dependency.",
    )


@pytest.mark.points(1)
def test_parameters(pipeline: kfp_ir.Pipeline) -> None:
    """alpha and max_rmse are pipeline parameters with defaults, used by training and evaluation"""
    problems = [
        f"{p} has no numeric default"
        for p in ("alpha", "max_rmse")
        if not isinstance(pipeline.defaults.get(p), (int, float))
    ]
    for param, schema in (("alpha", MODEL), ("max_rmse", METRICS)):
        users = [
            t.name for t in pipeline.tasks.values() if {"pipeline": param} in t.params_in.values()
        ]
        makers = [t.name for t in pipeline.producing(schema)]
        if not set(users) & set(makers):
            problems.append(
                f"{param} reaches {users or 'no task'}, not the task that outputs "
                f"the {schema.split('.')[1]} ({makers or 'none'})"
            )
    expect_none(
        problems,
        expected="def housing_pipeline(source_dir: str, alpha: float = 1.0, "
        "max_rmse: float = 30000.0) passing alpha to training and max_rmse to "
        "evaluation",
        hint="Give both a default in the pipeline function's signature.",
    )


def images(compiled: Compiled) -> dict[str, str]:
    """Each container component's image, by component: those inside a dsl.If too."""
    executors = ((compiled.spec or {}).get("deploymentSpec") or {}).get("executors") or {}
    return {
        label.removeprefix("exec-"): str(executor["container"].get("image") or "")
        for label, executor in executors.items()
        if "container" in executor
    }


@pytest.mark.points(1)
def test_pinned_images(compiled: Compiled) -> None:
    """Every component runs in a pinned image"""
    if compiled.spec is None:
        blocked("pipeline.py did not compile", hint=f"Make the check '{COMPILE_TITLE}' pass first.")
    loose = []
    for component, image in images(compiled).items():
        name, _, digest = image.partition("@")
        if not digest and name.rsplit("/", 1)[-1].partition(":")[2] in ("", "latest"):
            loose.append(f"{component}: {image!r}")
    expect(
        not loose,
        expected="each component's base_image with a tag other than latest (or a digest)",
        found="; ".join(loose),
        hint='@dsl.component(base_image="python:3.11-slim", ...): without a tag the '
        "compiled pipeline runs whatever :latest is that day.",
    )
