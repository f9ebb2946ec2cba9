"""Week 18 fixtures: the learner's pipeline compiled once by kfp in their interpreter, its IR
read, and its tasks run once, one by one, on data the check lays (``mlops_checks.kfp_ir``).

The check's data: the course's train.csv and test.csv, each a random 85% of its rows in a new
order (a new seed every run), so a component that ignores ``source_dir`` or a metric typed in
is caught. Every task runs as its pod would (the executor on the component's compiled
source), in the learner's interpreter, through the engine's `run`.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import kfp_ir
from mlops_roadmap.checking import blocked, fail
from mlops_roadmap.fixtures import CleanCopy, Run
from mlops_roadmap.procs import ProcessResult

Note = Callable[[str, object], None]
NAME = "housing-training"
HERE = Path(__file__).resolve().parent
MARKER = "KFP-COMPILE-JSON:"
TASK_TIMEOUT = 300
COMPILE_TITLE = "pipeline.py compiles the pipeline housing-training with kfp's compiler"
RUN_TITLE = "Each component runs in order on the check's data"
SHARE = 0.85


@dataclass(frozen=True)
class Compiled:
    spec: dict[str, Any] | None
    found: list[str]  # the pipelines pipeline.py defines
    problem: str  # why there is no compiled spec ("" when there is)
    folder: Path  # the clean copy it ran in


@pytest.fixture(scope="session")
def compiled(run: Run, clean_copy: CleanCopy, learner_python: Path) -> Compiled:
    """pipeline.py imported and its pipeline compiled with kfp.compiler, once."""
    import yaml

    folder = clean_copy("pipeline.yaml", "kfp-local")
    target = folder / "compiled-by-check.yaml"
    result = run([learner_python, HERE / "probe_compile.py", NAME, target], cwd=folder, timeout=120)
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(MARKER)]
    if not lines:
        return Compiled(None, [], f"exit status {result.returncode}: {result.tail(8)}", folder)
    answer = json.loads(lines[-1][len(MARKER) :])
    if answer["error"] or not target.is_file():
        return Compiled(None, answer["found"], answer["error"] or "nothing compiled", folder)
    return Compiled(yaml.safe_load(target.read_text(encoding="utf-8")), answer["found"], "", folder)


@pytest.fixture(scope="session")
def pipeline(compiled: Compiled) -> kfp_ir.Pipeline:
    if compiled.spec is None:
        blocked("pipeline.py did not compile", hint=f"Make the check '{COMPILE_TITLE}' pass first.")
    return kfp_ir.read(compiled.spec)


@pytest.fixture(scope="session")
def data_dir(course_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The check's source_dir: train.csv and test.csv, each a random 85% of the course's."""
    folder = tmp_path_factory.mktemp("check-data")
    rng = random.Random()
    for name in ("train.csv", "test.csv"):
        with (course_data / "ames" / name).open(newline="", encoding="utf-8") as handle:
            header, *rows = list(csv.reader(handle))
        rows = rng.sample(rows, int(len(rows) * SHARE))
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([header, *rows])
    return folder


@dataclass
class TaskRun:
    result: ProcessResult
    outcome: kfp_ir.Outcome


@dataclass
class Runner:
    """Runs the pipeline's tasks as pods would: what each left, by task name."""

    run: Run
    python: Path
    pipeline: kfp_ir.Pipeline
    scratch: Path
    arguments: dict[str, Any]
    done: dict[str, TaskRun] = field(default_factory=dict)

    def params(self, task: kfp_ir.Task, override: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, source in task.params_in.items():
            if "pipeline" in source:
                name = source["pipeline"]
                values[key] = override.get(name, self.arguments.get(name))
            elif "task" in source:
                earlier = self.done.get(str(source["task"]))
                values[key] = earlier.outcome.params.get(source["key"]) if earlier else None
            else:
                values[key] = source.get("value")
        return values

    def task(self, task: kfp_ir.Task, label: str, **override: Any) -> TaskRun:
        """Run one task; its inputs are the outputs of the runs in ``done``."""
        root = self.scratch / label
        root.mkdir(parents=True, exist_ok=True)
        (root / "component.py").write_text(task.source, encoding="utf-8")
        produced = {(t, k): p for t, r in self.done.items() for k, p in r.outcome.paths.items()}
        given = kfp_ir.executor_input(task, self.params(task, override), produced, root / "out")
        args = [
            self.python,
            "-m",
            "kfp.dsl.executor_main",
            "--component_module_path",
            root / "component.py",
            "--executor_input",
            json.dumps(given),
            "--function_to_execute",
            task.function,
        ]
        result = self.run(args, cwd=root, timeout=TASK_TIMEOUT, env=pod_env())
        return TaskRun(result, kfp_ir.outcome(task, root / "out"))


def pod_env() -> dict[str, str]:
    import os

    return {**os.environ, "_KFP_RUNTIME": "true", "PYTHONDONTWRITEBYTECODE": "1"}


@dataclass(frozen=True)
class Ran:
    runner: Runner
    failed: str  # the first task that failed, with its output ("" when all ran)
    nested: tuple[str, ...] = ()  # tasks not run here: a dsl.If's or a sub-pipeline's DAG


def nested_dags(compiled: Compiled, pipeline: kfp_ir.Pipeline) -> set[str]:
    """The top-level tasks that are DAGs (dsl.If, dsl.ParallelFor, a pipeline used as a
    component), and the tasks after them: their steps run in the end-to-end check."""
    dags = {n for n, c in ((compiled.spec or {}).get("components") or {}).items() if "dag" in c}
    skipped: set[str] = set()
    for task in pipeline.order():
        if task.component in dags or skipped & set(task.after):
            skipped.add(task.name)
    return skipped


def run_tasks(runner: Runner, tasks: list[kfp_ir.Task]) -> str:
    """Run ``tasks`` in order into ``runner.done``; the first failure, or ""."""
    for task in tasks:
        if not task.function:
            return f"task {task.name} is not a lightweight Python component"
        done = runner.task(task, task.name)
        runner.done[task.name] = done
        if done.result.returncode != 0:
            return (
                f"task {task.name} ({task.function}) exited with status "
                f"{done.result.returncode}: {done.result.tail(10)}"
            )
    return ""


def upstream(pipeline: kfp_ir.Pipeline, target: kfp_ir.Task) -> list[kfp_ir.Task]:
    """``target`` and every task it depends on, in an order that runs them."""
    needed = {target.name}
    for task in reversed(pipeline.order()):
        if task.name in needed:
            needed.update(task.after)
    return [t for t in pipeline.order() if t.name in needed]


@pytest.fixture(scope="session")
def ran(
    compiled: Compiled,
    pipeline: kfp_ir.Pipeline,
    run: Run,
    learner_python: Path,
    data_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Ran:
    """Every top-level task once, in order, with the pipeline's defaults and source_dir = the
    check's data."""
    arguments = {**pipeline.defaults, "source_dir": str(data_dir)}
    runner = Runner(run, learner_python, pipeline, tmp_path_factory.mktemp("tasks"), arguments)
    nested = nested_dags(compiled, pipeline)
    tasks = [t for t in pipeline.order() if t.name not in nested]
    return Ran(runner, run_tasks(runner, tasks), tuple(sorted(nested)))


def finished(ran: Ran) -> Runner:
    if ran.failed:
        blocked(
            "the pipeline's tasks did not all run", hint=f"Make the check '{RUN_TITLE}' pass first."
        )
    return ran.runner


def one(pipeline: kfp_ir.Pipeline, schema: str) -> kfp_ir.Task:
    """The task that makes the pipeline's artifact of this type: one that outputs it without
    taking one in (training, not a step that registers the trained Model), first in order."""
    makers = {t.name for t in pipeline.producing(schema)}
    tasks = [t for t in pipeline.order() if t.name in makers]
    if not tasks:
        fail(
            expected=f"a component with an Output[{schema.split('.')[1]}]",
            found="none",
            hint="Make the check on the artifacts pass first.",
        )
    return min(tasks, key=lambda t: schema in t.inputs.values())
