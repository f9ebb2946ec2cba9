"""Week 18's checks judged both ways through the real CLI, on workspaces made as `course verify`
makes them: the finished project passes (its Kubeflow check blocked: no cluster here) and is
left untouched; the scaffold fails where it should; right submissions written differently from
the lesson (tests/fixtures/week18: a reused loader and a log-price Ridge, the stretch goal's
dsl.If, a registering step that also outputs a Model) pass every check; mutations of the
reference solution fail each check for their own reason; a component that raises is a failed
check naming it; a pipeline that does not compile blocks the rest.

Every case runs kfp's executor on real components (the end-to-end check with the local
SubprocessRunner takes about 35 s alone), so all are slow; each wrong case selects only the
checks it needs.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, Cli
from tests.test_week09_api import edit, make_week, outcomes, tagged_processes, tree_hashes
from tests.timing import wait_until

WEEK = 18
CASES = FIXTURES / "week18"
TITLES = {
    "compiles": "pipeline.py compiles the pipeline housing-training with kfp's compiler",
    "artifacts": "A Dataset feeds training, its Model feeds evaluation, which outputs Metrics",
    "parameters": "alpha and max_rmse are pipeline parameters with defaults, used by training "
    "and evaluation",
    "pinned": "Every component runs in a pinned image",
    "tasks": "Each component runs in order on the check's data",
    "metric": "The logged rmse is the Model's own on the test set, and it prices unseen houses "
    "well",
    "alpha": "alpha changes the trained model",
    "gate": "A too-strict max_rmse fails the evaluate step",
    "train only": "The model learns from the train rows alone, never from test.csv",
    "local": "The pipeline runs end to end with kfp's local SubprocessRunner",
    "kubeflow": "On your Kubeflow Pipelines the run succeeds",
}
ALL_BUT_KUBEFLOW = {**dict.fromkeys(TITLES, "passed"), "kubeflow": "blocked"}
NOT_COMPILED = "pipeline.py did not compile"


def run_checks(cli: Cli, folder: Path, select: str | None = None) -> dict[str, dict[str, Any]]:
    """`check --json` in the week folder (no Kubeflow host): the checks by title; none is an
    error, and nothing they started is left running."""
    tag = uuid.uuid4().hex
    args: list[str | Path] = ["--course", Path(__file__).parent.parent, "check", "--json"]
    if select:
        args += ["-k", select]
    environ = {"MLOPS_TEST_TAG": tag, "KFP_HOST": "", "KFP_SOURCE_DIR": ""}
    result = cli(*args, cwd=folder, timeout=900, env=environ)
    assert "Traceback" not in result.stderr, result.stderr
    data = json.loads(result.stdout)
    assert data["counts"]["error"] == 0, data
    wait_until(lambda: tagged_processes(tag) == [], 30, "left running")
    return {c["title"]: c for c in data["checks"]}


def found(checks: dict[str, dict[str, Any]], key: str) -> str:
    return str(checks[TITLES[key]]["found"])


def solved(tmp_path: Path) -> tuple[Path, Path]:
    """The finished week folder and its pipeline.py."""
    week = make_week(tmp_path, WEEK, solved=True)
    return week, week / "pipeline.py"


# -- the finished project and the scaffold --------------------------------------------------------


@pytest.mark.slow
def test_finished_project_passes_but_kubeflow_and_is_left_untouched(
    cli: Cli, tmp_path: Path
) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    before = tree_hashes(week)
    checks = run_checks(cli, week)
    assert set(checks) == set(TITLES.values())  # every check of the week, none unjudged
    assert outcomes(checks, TITLES) == ALL_BUT_KUBEFLOW, checks
    assert tree_hashes(week) == before
    assert checks[TITLES["tasks"]]["notes"].startswith("tasks 3 in ")
    assert checks[TITLES["metric"]]["notes"].startswith("held-out rmse 2")
    assert checks[TITLES["local"]]["notes"].startswith("local run ")
    kubeflow = checks[TITLES["kubeflow"]]
    assert kubeflow["found"] == (
        "no Kubeflow Pipelines to run on (KFP_HOST and KFP_SOURCE_DIR are not set)"
    )
    assert (
        "kubectl port-forward -n kubeflow" in kubeflow["hint"] and "KFP_HOST=" in (kubeflow["hint"])
    )


@pytest.mark.slow
def test_scaffold_fails_on_the_missing_evaluate_and_the_unwritten_training(
    cli: Cli, tmp_path: Path
) -> None:
    checks = run_checks(cli, make_week(tmp_path, WEEK, solved=False))
    assert outcomes(checks, TITLES) == {
        **dict.fromkeys(TITLES, "blocked"),
        **dict.fromkeys(("compiles", "pinned"), "passed"),
        **dict.fromkeys(("artifacts", "parameters", "tasks"), "failed"),
    }
    assert found(checks, "artifacts") == "no component outputs a Metrics"
    assert found(checks, "parameters") == (
        "max_rmse reaches no task, not the task that outputs the Metrics (none)"
    )
    assert found(checks, "tasks").startswith("task train-model (train_model) exited with status 1")
    assert found(checks, "tasks").endswith("NotImplementedError: train_model")
    for key in ("metric", "alpha", "gate", "train only"):
        assert found(checks, key) == "the pipeline's tasks did not all run", key
    # the workspace course verify lays for a scaffold has no pip (a solution's prepare.sh adds it)
    assert found(checks, "local").startswith("your interpreter has no pip")


# -- right submissions written differently --------------------------------------------------------

RIGHT = sorted(p.name for p in CASES.glob("right-*"))


@pytest.mark.slow
@pytest.mark.parametrize("case", RIGHT)
def test_right_submission_passes(cli: Cli, tmp_path: Path, case: str) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    shutil.copytree(CASES / case, week, dirs_exist_ok=True, ignore=lambda *_: ["README.md"])
    checks = run_checks(cli, week)
    assert outcomes(checks, TITLES) == ALL_BUT_KUBEFLOW, checks
    if case == "right-register-if":  # the dsl.If's DAG runs only in the end-to-end check
        assert (
            "nested condition-1 (run in the end-to-end check)" in (checks[TITLES["tasks"]]["notes"])
        )


def test_right_cases_say_what_differs() -> None:
    assert len(RIGHT) >= 3
    for case in RIGHT:
        assert (CASES / case / "README.md").read_text(encoding="utf-8").startswith("Right"), case


# -- wrong submissions: mutations of the reference solution ---------------------------------------

RUNS = "not local_runner and not kubeflow"


@pytest.mark.slow
def test_each_check_fails_for_its_own_reason(cli: Cli, tmp_path: Path) -> None:
    week, pipeline = solved(tmp_path)
    edit(pipeline, 'base_image="python:3.11-slim", packages_to_install=PACKAGES)\ndef evaluate(',
         'base_image="python:latest", packages_to_install=PACKAGES)\ndef evaluate(')  # fmt: skip
    edit(pipeline, "Ridge(alpha=alpha)", "Ridge()")
    edit(pipeline, 'metrics.log_metric("rmse", rmse)', 'metrics.log_metric("rmse", 23173.42)')
    edit(pipeline, "if rmse > max_rmse:", "if rmse > 30000.0:")
    checks = run_checks(cli, week, RUNS)
    assert outcomes(checks, TITLES) == {
        **{k: v for k, v in ALL_BUT_KUBEFLOW.items() if k not in ("local", "kubeflow")},
        **dict.fromkeys(("pinned", "metric", "alpha", "gate"), "failed"),
    }
    assert found(checks, "pinned") == "evaluate: 'python:latest'"
    assert found(checks, "metric") == "23,173.42"
    expected = checks[TITLES["metric"]]["expected"]
    assert "the logged rmse to be the model's RMSE on the test.csv it was given" in expected
    assert found(checks, "alpha") == "the same prices"
    assert checks[TITLES["alpha"]]["expected"].startswith("other prices with alpha=1000 than")
    assert found(checks, "gate") == "it succeeded"
    assert "evaluate with max_rmse=1.0 to fail" in checks[TITLES["gate"]]["expected"]


@pytest.mark.slow
def test_a_model_trained_on_train_and_test_rows(cli: Cli, tmp_path: Path) -> None:
    """Its logged rmse is honestly its own (so the metric check passes): only training again on
    other test prices shows it learned from them."""
    week, pipeline = solved(tmp_path)
    edit(pipeline, 'pd.read_csv(f"{source_dir}/train.csv").to_csv(',
         'pd.concat([pd.read_csv(f"{source_dir}/{name}.csv") for name in ("train", "test")])'
         ".to_csv(")  # fmt: skip
    checks = run_checks(cli, week, "metric or train_rows_only")
    assert outcomes(checks, TITLES) == {"metric": "passed", "train only": "failed"}
    assert found(checks, "train only").startswith(
        "with test.csv's prices tripled (train.csv the same), the model's mean price for the "
        "test houses went from "
    )
    assert found(checks, "train only").endswith(": train-model learned from the test rows")


@pytest.mark.slow
def test_a_gate_without_its_parameter_and_an_unpinned_image(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    shutil.copytree(CASES / "wrong-latest-no-gate", week, dirs_exist_ok=True)
    checks = run_checks(cli, week, "parameters or pinned or gate")
    assert outcomes(checks, TITLES) == {
        "parameters": "failed",
        "pinned": "failed",
        "gate": "blocked",
    }
    assert found(checks, "parameters") == (
        "max_rmse reaches no task, not the task that outputs the Metrics (['evaluate'])"
    )
    assert found(checks, "pinned") == "train-model: 'python'"
    assert found(checks, "gate") == "max_rmse does not reach the evaluate step"


@pytest.mark.slow
def test_an_unpinned_image_inside_a_dsl_if(cli: Cli, tmp_path: Path) -> None:
    """The check reads every executor of the compiled pipeline, not only the top-level tasks."""
    week = make_week(tmp_path, WEEK, solved=True)
    shutil.copyfile(CASES / "right-register-if" / "pipeline.py", week / "pipeline.py")
    edit(week / "pipeline.py", "base_image=BASE, packages_to_install=NEEDS)\ndef register(",
         'base_image="python", packages_to_install=NEEDS)\ndef register(')  # fmt: skip
    checks = run_checks(cli, week, "pinned")
    assert outcomes(checks, TITLES) == {"pinned": "failed"}
    assert found(checks, "pinned") == "register: 'python'"


@pytest.mark.slow
def test_a_component_that_raises_is_a_failed_check_naming_it(cli: Cli, tmp_path: Path) -> None:
    """The lesson's first pitfall: pandas imported at the top of the file, used in a component."""
    week, pipeline = solved(tmp_path)
    edit(pipeline, "import os\n", "import os\n\nimport pandas as pd\n")
    edit(pipeline, "    import joblib\n    import pandas as pd\n\n    df = pd.read_csv(test.path)",
         "    import joblib\n\n    df = pd.read_csv(test.path)")  # fmt: skip
    checks = run_checks(cli, week, "tasks_run or metric or local_runner")
    assert outcomes(checks, TITLES) == {"tasks": "failed", "metric": "blocked", "local": "failed"}
    assert found(checks, "tasks").startswith("task evaluate (evaluate) exited with status 1: ")
    assert "NameError: name 'pd' is not defined" in found(checks, "tasks")
    assert found(checks, "local").startswith(
        "RuntimeError: Pipeline 'housing-training' finished with status FAILURE. Inner task "
        "failed: 'evaluate'. Its output ends: NameError: name 'pd' is not defined"
    )


BROKEN = {
    "two outputs, one .output": (
        'return scored.outputs["Output"]',
        "return scored.output",
        "has multiple outputs",
    ),
    "another name": (
        '@dsl.pipeline(name="housing-training")',
        '@dsl.pipeline(name="housing")',
        "nothing compiled (it defines: housing)",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_pipeline_that_does_not_compile_blocks_the_rest(
    cli: Cli, tmp_path: Path, case: str
) -> None:
    old, new, fault = BROKEN[case]
    week, pipeline = solved(tmp_path)
    edit(pipeline, old, new)
    checks = run_checks(cli, week, "compiles or artifacts or pinned or tasks_run or local_runner")
    assert outcomes(checks, TITLES) == {
        "compiles": "failed",
        **dict.fromkeys(("artifacts", "pinned", "tasks", "local"), "blocked"),
    }
    assert fault in found(checks, "compiles")
    for key in ("artifacts", "pinned", "tasks", "local"):
        assert found(checks, key) == NOT_COMPILED, key
