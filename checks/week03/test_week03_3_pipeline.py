"""Week 3: a dvc.yaml pipeline of connected stages, committed, that reproduces from scratch."""

from __future__ import annotations

import math
import posixpath
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    DATA_DIR,
    REPRO_TIMEOUT,
    Reproduction,
    commit_state,
    covers,
    stages_of,
    status_lines,
)

from mlops_roadmap.checking import blocked, expect, expect_none, fail

REL_TOL = 1e-6  # reproduced metrics must equal the committed ones (fixed seeds, same data)
STAGE_HINT = (
    "`dvc stage add -n train -d src/train.py -d data/prepared -p train.model,train.alpha "
    "-o models -M metrics.json python src/train.py` adds the train stage to dvc.yaml."
)
# Room for the reproduction (300 s at most) and DVC's start-up, whichever check runs it first.
pytestmark = pytest.mark.timeout(420)


def complete(stage: dict[str, Any]) -> bool:
    """A stage with a command, dependencies, outputs and parameters from params.yaml."""
    return bool(stage["cmd"] and stage["deps"] and stage["outs"] and stage["params"])


def describe(stage: dict[str, Any]) -> str:
    params = [k for p in stage["params"] for k in p["keys"]]
    outs = [o["path"] for o in stage["outs"]]
    missing = [
        name
        for name, value in (
            ("cmd", stage["cmd"]),
            ("deps", stage["deps"]),
            ("params", params),
            ("outs", outs),
        )
        if not value
    ]
    text = (
        f"{stage['address']} (deps: {', '.join(stage['deps']) or '-'}; "
        f"params: {', '.join(params) or '-'}; outs: {', '.join(outs) or '-'})"
    )
    return text + (f" lacks {', '.join(missing)}" if missing else "")


def linked_pair(pipeline: list[dict[str, Any]]) -> tuple[str, str] | None:
    """(upstream, downstream): two complete stages, one depending on the other's output."""
    full = [s for s in pipeline if complete(s)]
    for down in full:
        for up in full:
            if up is down:
                continue
            outs = [o["path"] for o in up["outs"]]
            if any(covers(o, d) or covers(d, o) for o in outs for d in down["deps"]):
                return up["address"], down["address"]
    return None


@pytest.mark.points(2)
@pytest.mark.hint(STAGE_HINT)
def test_pipeline_stages(project: dict[str, Any]) -> None:
    """dvc.yaml has two connected stages with deps, params and outs, and a metrics file"""
    pipeline = [s for s in stages_of(project) if s["pipeline"]]
    expect(
        len(pipeline) >= 2,
        expected="at least two stages in dvc.yaml (prepare and train)",
        found=f"{len(pipeline)} stage{'s' if len(pipeline) != 1 else ''}"
        + (": " + "; ".join(describe(s) for s in pipeline) if pipeline else ""),
        hint=STAGE_HINT,
    )
    pair = linked_pair(pipeline)
    expect(
        pair is not None,
        expected="two stages that each have deps, params and outs, one depending on an "
        "output of the other (train on data/prepared from prepare)",
        found="; ".join(describe(s) for s in pipeline),
        hint="Give each stage `deps:`, `params:` (keys of params.yaml) and `outs:`, and list "
        "the first stage's output (data/prepared) in the second stage's deps.",
    )
    metrics = [o["path"] for s in pipeline for o in s["outs"] if o["metric"]]
    expect(
        metrics,
        expected="a metrics file declared by a stage (`metrics:` in dvc.yaml)",
        found="no stage declares metrics",
        hint="In the train stage: `metrics: [{metrics.json: {cache: false}}]` (what "
        "`dvc stage add -M metrics.json` writes), so that git keeps it and "
        "`dvc metrics diff` compares it.",
    )


def committed_files(stages: list[dict[str, Any]], week_dir: Path) -> list[str]:
    """What a clone needs from git to rerun the pipeline: dvc.yaml and dvc.lock, the params
    files, and every dependency that no DVC output holds (the code)."""
    pipeline = [s for s in stages if s["pipeline"]]
    outs = [o["path"] for s in stages for o in s["outs"]]
    wanted = set()
    for stage in pipeline:
        folder = posixpath.dirname(stage["file"])
        wanted.add(stage["file"])
        wanted.add(posixpath.join(folder, "dvc.lock"))
        wanted.update(p["file"] for p in stage["params"])
        wanted.update(d for d in stage["deps"] if not any(covers(o, d) for o in outs))
    # The data set is DVC's to version (the data checks say so when it is not yet).
    return sorted(p for p in wanted if not p.startswith("../") and not covers(DATA_DIR, p))


@pytest.mark.points(1)
@pytest.mark.requires("git")
@pytest.mark.hint("`git add dvc.yaml dvc.lock params.yaml src` and commit after `dvc repro`.")
def test_pipeline_committed(project: dict[str, Any], run: Any, week_dir: Path) -> None:
    """dvc.yaml, dvc.lock, params.yaml and the stages' code are committed to git"""
    stages = stages_of(project)
    if not any(s["pipeline"] for s in stages):
        fail(
            expected="a pipeline in dvc.yaml",
            found="no stage in any dvc.yaml",
            hint=STAGE_HINT,
        )
    wanted = committed_files(stages, week_dir)
    absent = [p for p in wanted if not (week_dir / p).exists()]
    expect(
        not absent,
        expected=", ".join(wanted) + " in the week folder",
        found=f"missing: {', '.join(absent)}",
        hint="`dvc repro` writes dvc.lock: run it, then commit it with dvc.yaml.",
    )
    problem = commit_state(run, week_dir, wanted)
    expect(
        problem is None,
        expected=", ".join(wanted) + " committed to git as they are now",
        found=str(problem),
        hint=f"`git add {' '.join(wanted)}` and commit.",
    )


def reproduced_or_fail(reproduction: Reproduction) -> dict[str, Any]:
    answer = reproduction.answer
    error = answer.get("error")
    if error:
        found = (
            f"`dvc repro` did not finish within {REPRO_TIMEOUT} s, so it was stopped"
            if error["kind"] == "timeout"
            else error["message"]
        )
        if reproduction.output_tail:
            found += f"\n{reproduction.output_tail}"
        fail(
            expected="`dvc repro --force` in a fresh copy of the week folder (without "
            f"{', '.join(reproduction.left_out) or 'outputs'} and without DVC's cache) to "
            "run every stage without errors",
            found=found,
            hint="Delete the outputs yourself and run `dvc repro` in the week folder; fix the "
            "first error it shows.",
        )
    return answer


@pytest.mark.points(3)
@pytest.mark.hint("Run `dvc repro --force` in the week folder and fix the first error.")
def test_pipeline_reproduces(project: dict[str, Any], request: pytest.FixtureRequest) -> None:
    """`dvc repro` rebuilds every output from a clean copy and reproduces the metrics"""
    pipeline = [s for s in stages_of(project) if s["pipeline"]]
    if linked_pair(pipeline) is None:
        blocked(
            "dvc.yaml has no two connected stages to reproduce yet",
            "Make the check 'dvc.yaml has two connected stages with deps, params and outs, "
            "and a metrics file' pass first.",
        )
    mine = project.get("metrics") or {}
    expect(
        mine,
        expected="the pipeline's metrics file in your week folder, to compare the "
        "reproduction with",
        found=project.get("metrics_error") or "no metrics (`dvc metrics show` shows none)",
        hint="Declare metrics.json under `metrics:` in the train stage and run `dvc repro`.",
    )
    # Asked for only now: the copy and the run are not worth making for a pipeline-less folder.
    answer = reproduced_or_fail(request.getfixturevalue("reproduction"))
    expect(
        not answer.get("status"),
        expected="`dvc status` clean right after `dvc repro` in the copy",
        found="\n".join(status_lines(answer.get("status") or {})),
        hint="A stage that changes its own dependencies, or an output that a command does "
        "not write, keeps the pipeline from settling: check each stage's deps and outs.",
    )
    theirs = answer.get("metrics") or {}
    wrong = []
    for file, values in mine.items():
        for key, value in values.items():
            again = theirs.get(file, {}).get(key)
            if again is None or not math.isclose(value, again, rel_tol=REL_TOL):
                wrong.append(f"{file} {key}: yours {value!r}, reproduced {again!r}")
    expect_none(
        wrong,
        expected="the reproduced metrics equal the ones in your week folder "
        f"(relative tolerance {REL_TOL:g})",
        hint="Make `dvc status` clean first (`dvc repro`, then commit). If it is, the "
        "training is not deterministic: fix every random seed (random_state=...) and read "
        "only the declared deps and params; then `dvc repro`, commit and `dvc push`.",
    )
