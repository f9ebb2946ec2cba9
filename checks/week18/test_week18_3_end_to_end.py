"""Week 18: the whole pipeline, end to end: with kfp's local SubprocessRunner (each component in
a subprocess of your interpreter, after its own pip install of packages_to_install, run here
with PIP_NO_INDEX=1 so nothing is downloaded), and on a Kubeflow Pipelines cluster when you give
one (KFP_HOST). Without pip, or without a cluster, these are blocked: never passed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import HERE, NAME, Compiled, Note

from mlops_roadmap.checking import blocked, expect
from mlops_roadmap.fixtures import Run

pytestmark = pytest.mark.timeout(900)
MARKER = "KFP-LOCAL-JSON:"
LOCAL_TIMEOUT = 600
GET_KFP = (
    "Install Kubeflow Pipelines on a local cluster (kind or Minikube) as the lesson's section "
    "'On a cluster' shows, `kubectl port-forward -n kubeflow svc/ml-pipeline-ui 8080:80`, then "
    "run the checks with KFP_HOST=http://localhost:8080 and KFP_SOURCE_DIR set to a folder the "
    "components can read there."
)
CLUSTER_DRIVER = """
import json, os, sys
import kfp
client = kfp.Client(host=os.environ["KFP_HOST"])
run = client.create_run_from_pipeline_package(sys.argv[1], arguments={"source_dir": sys.argv[2]},
                                              run_name="week18-check")
done = client.wait_for_run_completion(run.run_id, timeout=int(sys.argv[3]))
print(sys.argv[4] + json.dumps({"state": str(done.state), "id": run.run_id}))
"""


def task_said(error: str, output: str) -> str:
    """When a task failed, the last line it printed (its error): the local runner streams each
    task's output indented under its own log lines."""
    printed = [ln.strip() for ln in output.splitlines() if ln.startswith("    ") and ln.strip()]
    if "Inner task failed" not in error or not printed:
        return ""
    return f" Its output ends: {printed[-1]}"


@pytest.mark.points(2)
def test_local_runner(
    compiled: Compiled,
    run: Run,
    learner_python: Path,
    data_dir: Path,
    record_property: Note,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The pipeline runs end to end with kfp's local SubprocessRunner"""
    if compiled.spec is None:
        blocked("pipeline.py did not compile", hint="Make the compile check pass first.")
    pip = run([learner_python, "-m", "pip", "--version"], timeout=60)
    if pip.returncode != 0:
        blocked(
            "your interpreter has no pip, and the local runner runs each component's pip "
            "install of its packages_to_install",
            hint="`python -m ensurepip` in the "
            "workspace .venv (a venv made with --without-pip has none).",
        )
    root = tmp_path_factory.mktemp("kfp-local")
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    result = run(
        [learner_python, HERE / "probe_local.py", NAME, data_dir, root],
        cwd=compiled.folder,
        timeout=LOCAL_TIMEOUT,
        env=env,
    )
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(MARKER)]
    answer = json.loads(lines[-1][len(MARKER) :]) if lines else {"error": result.tail(10)}
    expect(
        not answer["error"],
        expected="housing_pipeline(source_dir=...) to succeed under "
        "local.init(runner=local.SubprocessRunner(use_venv=False))",
        found=answer["error"] + task_said(answer["error"], result.stdout),
        hint="Run `PIP_NO_INDEX=1 python pipeline.py`: a 'No matching distribution' error "
        "means a package in packages_to_install is not installed in your environment.",
    )
    record_property("local run", f"{result.duration:.0f} s, output {answer.get('output')}")


@pytest.mark.points(2)
@pytest.mark.external("Kubeflow Pipelines (KFP_HOST and KFP_SOURCE_DIR: see the lesson)")
def test_on_kubeflow(
    compiled: Compiled, run: Run, learner_python: Path, record_property: Note
) -> None:
    """On your Kubeflow Pipelines the run succeeds"""
    host, source = os.environ.get("KFP_HOST"), os.environ.get("KFP_SOURCE_DIR")
    if not host or not source:
        blocked(
            "no Kubeflow Pipelines to run on (KFP_HOST and KFP_SOURCE_DIR are not set)",
            hint=GET_KFP,
        )
    if compiled.spec is None:
        blocked("pipeline.py did not compile", hint="Make the compile check pass first.")
    ir = compiled.folder / "compiled-by-check.yaml"
    marker = "KFP-CLUSTER-JSON:"
    result = run(
        [learner_python, "-c", CLUSTER_DRIVER, ir, source, str(LOCAL_TIMEOUT), marker],
        timeout=LOCAL_TIMEOUT + 60,
    )
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(marker)]
    if not lines:
        blocked(f"Kubeflow Pipelines at {host} could not be asked: {result.tail(6)}", hint=GET_KFP)
    answer = json.loads(lines[-1][len(marker) :])
    record_property("run", f"{answer['id']} at {host}")
    expect(
        answer["state"].upper().endswith("SUCCEEDED"),
        expected="the run to end SUCCEEDED",
        found=answer["state"],
        hint="Open the run in the KFP UI and read the failed step's logs.",
    )
