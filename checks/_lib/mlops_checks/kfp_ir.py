"""A compiled Kubeflow pipeline (kfp 2.x IR YAML, a PipelineSpec) read as plain data, and its
tasks run one by one the way a KFP pod runs them, without a cluster.

Reading needs no kfp: the IR is YAML. Each task of ``root.dag`` names a component
(``componentRef``) whose executor (``deploymentSpec.executors``) holds the container image and
the command: for a lightweight Python component, the function's source as the last command
argument and ``--function_to_execute NAME`` in the args. Running a task is what the pod does
after its pip install: ``python -m kfp.dsl.executor_main`` on that source with an
ExecutorInput JSON naming local paths for every artifact (``executor_input``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TYPES = ("system.Dataset", "system.Model", "system.Metrics")


@dataclass(frozen=True)
class Task:
    name: str
    component: str  # comp-...
    image: str
    function: str  # the Python function the executor runs ("" for a container component)
    source: str  # the component's program
    after: tuple[str, ...]  # the tasks it depends on
    artifacts_in: dict[str, tuple[str, str]]  # input name -> (producer task, its output key)
    params_in: dict[str, Any]  # input name -> {"pipeline": NAME} / {"task": T, "key": K} / value
    inputs: dict[str, str]  # artifact input name -> schemaTitle
    outputs: dict[str, str]  # artifact output name -> schemaTitle
    out_params: tuple[str, ...]


@dataclass(frozen=True)
class Pipeline:
    name: str
    tasks: dict[str, Task]
    defaults: dict[str, Any]  # pipeline parameter -> default (absent when it has none)
    parameters: tuple[str, ...]
    problems: tuple[str, ...] = field(default=())

    def order(self) -> list[Task]:
        """The tasks in an order that runs each after those it depends on."""
        done: list[str] = []
        while len(done) < len(self.tasks):
            ready = [
                t
                for t in self.tasks.values()
                if t.name not in done and all(a in done for a in t.after)
            ]
            if not ready:
                break  # a cycle: the compiler never makes one
            done += sorted(t.name for t in ready)
        return [self.tasks[n] for n in done]

    def producing(self, schema: str) -> list[Task]:
        return [t for t in self.tasks.values() if schema in t.outputs.values()]


def artifacts(defs: dict[str, Any]) -> dict[str, str]:
    return {
        k: str((v.get("artifactType") or {}).get("schemaTitle"))
        for k, v in ((defs or {}).get("artifacts") or {}).items()
    }


def program(executor: dict[str, Any]) -> tuple[str, str, str]:
    """(image, function, source) of an executor."""
    container = executor.get("container") or {}
    command, args = list(container.get("command") or []), list(container.get("args") or [])
    function = (
        args[args.index("--function_to_execute") + 1] if "--function_to_execute" in args else ""
    )
    source = str(command[-1]) if function and command else ""
    return str(container.get("image") or ""), function, source


def read(spec: dict[str, Any]) -> Pipeline:
    """The pipeline a compiled PipelineSpec describes."""
    components, executors = (
        spec.get("components") or {},
        (spec.get("deploymentSpec") or {}).get("executors") or {},
    )
    root = spec.get("root") or {}
    tasks = {}
    for name, task in ((root.get("dag") or {}).get("tasks") or {}).items():
        ref = str((task.get("componentRef") or {}).get("name"))
        comp = components.get(ref) or {}
        image, function, source = program(executors.get(comp.get("executorLabel")) or {})
        inputs = task.get("inputs") or {}
        arts = {
            k: (
                str(v["taskOutputArtifact"]["producerTask"]),
                str(v["taskOutputArtifact"]["outputArtifactKey"]),
            )
            for k, v in (inputs.get("artifacts") or {}).items()
            if "taskOutputArtifact" in v
        }
        params = {k: parameter(v) for k, v in (inputs.get("parameters") or {}).items()}
        tasks[name] = Task(
            name,
            ref,
            image,
            function,
            source,
            tuple(task.get("dependentTasks") or []),
            arts,
            params,
            artifacts(comp.get("inputDefinitions") or {}),
            artifacts(comp.get("outputDefinitions") or {}),
            tuple(((comp.get("outputDefinitions") or {}).get("parameters") or {}).keys()),
        )
    declared = ((root.get("inputDefinitions") or {}).get("parameters")) or {}
    defaults = {k: v["defaultValue"] for k, v in declared.items() if "defaultValue" in v}
    name = str((spec.get("pipelineInfo") or {}).get("name") or "")
    return Pipeline(name, tasks, defaults, tuple(declared))


def parameter(value: dict[str, Any]) -> Any:
    if "componentInputParameter" in value:
        return {"pipeline": value["componentInputParameter"]}
    if "taskOutputParameter" in value:
        out = value["taskOutputParameter"]
        return {"task": out.get("producerTask"), "key": out.get("outputParameterKey")}
    return {"value": (value.get("runtimeValue") or {}).get("constant")}


def artifact(name: str, schema: str, uri: Path) -> dict[str, Any]:
    return {
        "name": name,
        "type": {"schemaTitle": schema, "schemaVersion": "0.0.1"},
        "uri": str(uri),
        "metadata": {},
    }


def executor_input(
    task: Task, params: dict[str, Any], produced: dict[tuple[str, str], Path], root: Path
) -> dict[str, Any]:
    """The ExecutorInput JSON for one task: its parameters' values, its input artifacts at the
    paths earlier tasks wrote, and fresh paths under ``root`` for its outputs."""
    root.mkdir(parents=True, exist_ok=True)
    arts_in = {
        k: {"artifacts": [artifact(k, task.inputs.get(k, "system.Artifact"), produced[src])]}
        for k, src in task.artifacts_in.items()
        if src in produced
    }
    arts_out = {
        k: {"artifacts": [artifact(k, schema, root / k)]} for k, schema in task.outputs.items()
    }
    return {
        "inputs": {"parameterValues": params, "artifacts": arts_in},
        "outputs": {
            "parameters": {k: {"outputFile": str(root / f"param-{k}")} for k in task.out_params},
            "artifacts": arts_out,
            "outputFile": str(root / "executor_output.json"),
        },
    }


@dataclass(frozen=True)
class Outcome:
    """What one task's run left: its outputs' paths, parameters and artifacts' metadata."""

    paths: dict[str, Path]
    params: dict[str, Any]
    metadata: dict[str, dict[str, Any]]


def outcome(task: Task, root: Path) -> Outcome:
    out_file = root / "executor_output.json"
    written = json.loads(out_file.read_text()) if out_file.is_file() else {}
    params = dict(written.get("parameterValues") or {})
    for key in task.out_params:
        if key not in params and (root / f"param-{key}").is_file():
            params[key] = json.loads((root / f"param-{key}").read_text())
    metadata = {
        k: dict(((v.get("artifacts") or [{}])[0]).get("metadata") or {})
        for k, v in (written.get("artifacts") or {}).items()
    }
    return Outcome({k: root / k for k in task.outputs}, params, metadata)
