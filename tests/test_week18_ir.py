"""Week 18's compiled-pipeline checks both ways on fixtures: the reference solution compiled by
the checks' own probe (kfp in a subprocess) is read by mlops_checks.kfp_ir and passes; a
pipeline with an unpinned image whose gate never sees max_rmse (tests/fixtures/week18) fails
with both named; tasks come out in dependency order.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from mlops_checks import kfp_ir
from tests.conftest import FIXTURES, REPO

PROBE = REPO / "checks" / "week18" / "probe_compile.py"


def compiled(source: Path, tmp_path: Path) -> kfp_ir.Pipeline:
    shutil.copy(source, tmp_path / "pipeline.py")
    out = subprocess.run([sys.executable, PROBE, "housing-training", tmp_path / "ir.yaml"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert '"error": ""' in out.stdout, out.stdout + out.stderr
    return kfp_ir.read(yaml.safe_load((tmp_path / "ir.yaml").read_text()))


def test_solution_reads_right(tmp_path: Path) -> None:
    pipeline = compiled(REPO / "solutions" / "week18" / "pipeline.py", tmp_path)
    assert [t.name for t in pipeline.order()] == ["load-data", "train-model", "evaluate"]
    assert pipeline.defaults == {"alpha": 1.0, "max_rmse": 30000.0}
    evaluate = pipeline.tasks["evaluate"]
    assert evaluate.artifacts_in == {
        "model": ("train-model", "model"),
        "test": ("load-data", "test"),
    }
    assert evaluate.params_in == {"max_rmse": {"pipeline": "max_rmse"}}
    assert evaluate.outputs == {"metrics": "system.Metrics"} and evaluate.out_params == ("Output",)
    assert {t.image for t in pipeline.tasks.values()} == {"python:3.11-slim"}
    assert "def evaluate(" in evaluate.source and evaluate.function == "evaluate"


def test_unpinned_image_and_a_gate_without_its_parameter(tmp_path: Path) -> None:
    pipeline = compiled(FIXTURES / "week18" / "wrong-latest-no-gate" / "pipeline.py", tmp_path)
    assert pipeline.tasks["train-model"].image == "python"
    assert pipeline.tasks["evaluate"].params_in == {"max_rmse": {"value": 50000.0}}
    users = [
        t.name for t in pipeline.tasks.values() if {"pipeline": "max_rmse"} in t.params_in.values()
    ]
    assert users == []


def test_executor_input_names_paths(tmp_path: Path) -> None:
    pipeline = compiled(REPO / "solutions" / "week18" / "pipeline.py", tmp_path)
    task = pipeline.tasks["train-model"]
    made = kfp_ir.executor_input(
        task, {"alpha": 2.0}, {("load-data", "train"): tmp_path / "t"}, tmp_path / "o"
    )
    assert made["inputs"]["artifacts"]["train"]["artifacts"][0]["uri"] == str(tmp_path / "t")
    assert (
        made["outputs"]["artifacts"]["model"]["artifacts"][0]["type"]["schemaTitle"]
        == "system.Model"
    )
    assert made["outputs"]["outputFile"] == str(tmp_path / "o" / "executor_output.json")
