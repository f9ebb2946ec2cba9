"""A week passed offline: every check this machine can run passes, and the only ones left are
``external`` checks blocked here (a cluster, a cloud account). It is not a pass (exit 4, shown
apart with what it needs), but the next week opens; the real thing passes it later."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlops_roadmap import venvs
from mlops_roadmap.results import CheckResult, RunReport
from tests.conftest import FIXTURES, Cli
from tests.test_workflow import run_check_step

CLUSTER_CHECK = '''
import os

import pytest

from mlops_roadmap.checking import blocked, expect


@pytest.mark.external("a Kubernetes cluster")
def test_on_the_cluster(week_dir):
    """The greeting runs on the cluster"""
    if os.environ.get("TOY_CLUSTER") != "reachable":
        blocked("no Kubernetes cluster is reachable here", "start one with kind")
    expect(os.environ.get("TOY_CLUSTER_GREETS") != "no", expected="a greeting",
           found="none", hint="deploy it")
'''


@pytest.fixture
def cluster_course(toy_course: Path) -> Path:
    """The toy course whose first week also has a check that needs a cluster."""
    (toy_course / "checks" / "week01" / "test_cluster.py").write_text(CLUSTER_CHECK)
    return toy_course


def solve(ws: Path) -> None:
    solution = FIXTURES / "toy-course" / "solutions" / "week01"
    shutil.copytree(solution, ws / "week01-first-steps", dirs_exist_ok=True)


def test_a_week_passed_offline_opens_the_next(
    cli: Cli, cluster_course: Path, tmp_path: Path
) -> None:
    c = ("--course", cluster_course)
    ws = tmp_path / "ws"
    assert cli(*c, "init", ws).returncode == 0
    assert cli(*c, "start", "1", cwd=ws).returncode == 0
    week_dir = ws / "week01-first-steps"

    unsolved = cli(*c, "check", "--json", cwd=week_dir)
    assert unsolved.returncode == 1  # its own work fails: the cluster's block changes nothing
    assert json.loads(unsolved.stdout)["passed_offline"] is False
    refused = cli(*c, "start", "2", cwd=ws)
    assert "week02 is locked: pass week01" in refused.stderr

    solve(ws)
    offline = cli(*c, "check", cwd=week_dir)
    assert offline.returncode == 4, offline.stdout + offline.stderr
    assert "PASSED OFFLINE" in offline.stdout
    assert "the blocked ones need a Kubernetes cluster" in offline.stdout
    assert "Unlocked week02: Second steps" in offline.stdout

    shown = json.loads(cli(*c, "status", "--json", cwd=ws).stdout)
    assert [w["state"] for w in shown["weeks"]] == ["passed offline", "available"]
    assert shown["weeks"][0]["needs"] == "a Kubernetes cluster"
    assert (shown["passed"], shown["passed_offline"]) == (0, 1)
    plain = cli(*c, "status", cwd=ws, env={"NO_COLOR": "1"}).stdout
    assert "0/2 weeks passed (0%), 1 passed offline" in plain
    assert "week01 passed offline: its blocked checks need a Kubernetes cluster" in plain
    assert cli(*c, "start", "2", cwd=ws).returncode == 0  # not forced
    assert json.loads(cli(*c, "status", "--json", cwd=ws).stdout)["weeks"][1]["forced"] is False
    assert cli(*c, "solution", "week", "1", cwd=ws).returncode == 0

    reported = json.loads(cli(*c, "check", "week", "1", "--json", cwd=ws).stdout)
    assert (reported["passed"], reported["passed_offline"]) == (False, True)
    assert reported["needs"] == ["a Kubernetes cluster"]
    cluster = next(r for r in reported["checks"] if r["external"])
    assert (cluster["outcome"], cluster["external"]) == ("blocked", "a Kubernetes cluster")

    wrong = cli(
        *c,
        "check",
        "week",
        "1",
        cwd=ws,
        env={"TOY_CLUSTER": "reachable", "TOY_CLUSTER_GREETS": "no"},
    )
    assert wrong.returncode == 1  # with the cluster reachable its check runs, and can fail
    real = cli(*c, "check", "week", "1", cwd=ws, env={"TOY_CLUSTER": "reachable"})
    assert real.returncode == 0, real.stdout
    shown = json.loads(cli(*c, "status", "--json", cwd=ws).stdout)
    assert shown["weeks"][0]["state"] == "passed" and shown["weeks"][0]["needs"] == ""


def test_a_blocked_tool_is_not_an_offline_pass(cli: Cli, toy_course: Path, toy_ws: Path) -> None:
    """A check blocked by a tool the learner can install here (not an ``external`` one) holds
    the week, however well the rest went."""
    c = ("--course", toy_course)
    cli(*c, "start", "2", "--force", cwd=toy_ws)
    (toy_ws / "week02-second-steps" / "notes.txt").write_text("done\n")
    result = cli(*c, "check", "--json", cwd=toy_ws / "week02-second-steps")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["counts"]["passed"] == 1 and data["counts"]["blocked"] == 1
    assert data["passed_offline"] is False


def result(outcome: str, external: str = "") -> CheckResult:
    return CheckResult(f"t::{outcome}{external}", "t", outcome, external=external)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("results", "offline"),
    [
        ((result("passed"), result("blocked", "a cluster")), True),
        ((result("passed"), result("blocked", "a cluster"), result("blocked", "AWS")), True),
        ((result("failed"), result("blocked", "a cluster")), False),
        ((result("passed"), result("error", "a cluster")), False),
        ((result("passed"), result("failed", "a cluster")), False),  # ran on a cluster, failed
        ((result("passed"), result("blocked")), False),
        ((result("blocked", "a cluster"),), False),  # nothing of the learner's was proven
        ((result("passed"), result("passed", "a cluster")), False),  # a pass, not offline
    ],
)
def test_what_counts_as_passed_offline(results: tuple[CheckResult, ...], offline: bool) -> None:
    report = RunReport("week01", "t", results, 1.0, 0.0)
    assert report.passed_offline is offline
    assert not (report.passed and report.passed_offline)


def test_the_workflow_warns_of_a_week_passed_offline(
    cli: Cli, cluster_course: Path, tmp_path: Path
) -> None:
    """The learner's GitHub workflow has no cluster: a week passed offline is a warning there,
    not a failed job."""
    ws = tmp_path / "ws"
    assert cli("--course", cluster_course, "init", ws).returncode == 0
    assert cli("--course", cluster_course, "start", "1", cwd=ws).returncode == 0
    solve(ws)
    venvs.layered(ws / ".venv")  # what the workflow's install step makes
    code, out, _, summary = run_check_step(ws, tmp_path, cluster_course)
    assert code == 0, out
    assert "| week01 | passed offline |" in summary
    assert "::warning title=week01 passed offline::" in out
