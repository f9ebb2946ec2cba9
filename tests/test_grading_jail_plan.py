"""The jail's plan: a typed object that goes to jail_setup as JSON and is checked on arrival."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap.grading import jail, jail_plan
from mlops_roadmap.grading.jail_spec import Bind, JailPlan, PlanError
from mlops_roadmap.grading.model import Limits
from mlops_roadmap.grading.sandbox import Job
from tests.conftest import FIXTURES
from tests.timing import scaled


def a_plan(tmp_path: Path) -> JailPlan:
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "a.txt").write_text("hello\n")
    job = Job("week01", tmp_path / "submission", tmp_path / "scratch", Limits(), slot=1)
    course = FIXTURES / "toy-course"
    return jail_plan.make(job, [sys.executable, "-c", "pass"], "userns", course, 60001)


def test_the_plan_round_trips(tmp_path: Path) -> None:
    plan = replace(a_plan(tmp_path), cgroups=("/sys/fs/cgroup/x/cgroup.procs",))
    assert JailPlan.from_json(plan.to_json()) == plan
    assert plan.copy.dst == jail_plan.SUBMISSION and plan.hide[0].endswith("solutions")
    assert (
        Bind(
            str(FIXTURES / "toy-course" / "checks"), str(FIXTURES / "toy-course" / "checks"), False
        )
        in plan.binds
    )
    assert plan.rlimits["fsize"] == Limits().file_mb << 20


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("uid"), "plan: missing 'uid'"),
        (lambda d: d.update(uid="60001"), "plan.uid: expected int, got '60001'"),
        (lambda d: d.update(switch_uid=1), "plan.switch_uid: expected bool, got 1"),
        (
            lambda d: d.update(mode="chroot"),
            "plan.mode: expected one of 'namespaces', 'userns', 'plain', got 'chroot'",
        ),
        (lambda d: d["binds"][0].update(writable="yes"), "plan.binds[0].writable: expected bool"),
        (lambda d: d["rlimits"].update(stack=1), "plan.rlimits: expected one of 'cpu'"),
        (lambda d: d.update(extra=1), "plan: unknown key 'extra'"),
        (lambda d: d.update(argv="python"), "plan.argv: expected a list, got 'python'"),
    ],
)
def test_a_plan_out_of_shape_is_named(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    data = json.loads(a_plan(tmp_path).to_json())
    change(data)
    with pytest.raises(PlanError) as caught:
        JailPlan.from_json(json.dumps(data))
    assert str(caught.value).startswith(message)


def test_the_setup_refuses_a_bad_plan_before_running_anything(tmp_path: Path) -> None:
    data = json.loads(a_plan(tmp_path).to_json())
    data["mode"] = "chroot"
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(jail.SETUP)],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        timeout=scaled(30),
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 125
    assert done.stderr.startswith("jail: plan.mode: expected one of")
