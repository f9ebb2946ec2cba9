"""The whole roadmap, walked end to end as a learner walks it, with the reference solutions.

One workspace made by `mlops-roadmap init`; then for week 1 to 24 in order `start N`, the week's
reference solution laid over the scaffold and its prepare.sh run as `course verify` runs them,
and `check` through the CLI (``benchmarks/weeks.py --walk``, so the walk and the per-week check
times are one run). The course's rules hold throughout: a week opens only when the one before it
passed, or passed offline (every check this machine can run passed; the others are `external`
ones blocked here for want of a cluster or a cloud account). No week is started with --force.

The figures are written to benchmarks/results/walk.json and walk.txt.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap import course
from tests.conftest import REPO, Cli
from tests.timing import scaled

RESULTS = REPO / "benchmarks" / "results"


def walk(workspace: Path) -> list[dict[str, Any]]:
    """``benchmarks/weeks.py --walk`` into ``workspace``: each week's figures (its table is
    written beside them)."""
    figures = RESULTS / "walk.json"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "weeks.py"),
            "--walk",
            "--workspace",
            str(workspace),
            "--output",
            str(figures),
        ],
        capture_output=True,
        text=True,
        timeout=scaled(7200),
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (RESULTS / "walk.txt").write_text(done.stdout, encoding="utf-8")
    weeks: list[dict[str, Any]] = json.loads(figures.read_text(encoding="utf-8"))
    return weeks


@pytest.mark.slow
@pytest.mark.first
def test_the_roadmap_walked_with_the_reference_solutions(cli: Cli, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    walked(cli, walk(workspace), workspace)


def walked(cli: Cli, weeks: list[dict[str, Any]], workspace: Path) -> None:
    """What the walk must show: every week passed or passed offline, and `status` agreeing."""
    loaded = course.load(REPO)
    assert [w["week"] for w in weeks] == [w.id for w in loaded.plan.weeks], "a start was refused"
    for week in weeks:
        assert not week["problems"], week
        assert week["changed"] == [], week  # the learner's files are left as they were
        assert week["left_running"] == [], week  # and nothing the check started lives on
        assert week["passed"] or (week["passed_offline"] and week["not_proven_here"]), week
        assert week["exit_code"] == (0 if week["passed"] else 4), week
        assert week["checks"] and week["wall_s"] > 0, week
        outcomes = {outcome for outcome, _ in week["checks"].values()}
        assert outcomes <= ({"passed"} if week["passed"] else {"passed", "blocked"}), week

    status = cli("--course", REPO, "status", "--json", cwd=workspace)
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    offline = [w["week"] for w in weeks if not w["passed"]]
    assert (shown["passed"], shown["passed_offline"]) == (len(weeks) - len(offline), len(offline))
    for week, row in zip(weeks, shown["weeks"], strict=True):
        assert row["id"] == week["week"]
        assert row["state"] == ("passed" if week["passed"] else "passed offline"), row
        assert row["forced"] is False, row
        assert bool(row["needs"]) is (not week["passed"]), row
        assert (row["checks_passed"], row["checks_total"]) == (
            sum(outcome == "passed" for outcome, _ in week["checks"].values()),
            len(week["checks"]),
        ), row
    plain = cli("--course", REPO, "status", cwd=workspace)
    assert plain.returncode == 0, plain.stderr
    done = len(weeks) - len(offline)
    assert f"{done}/{len(weeks)} weeks passed" in plain.stdout
    if offline:
        assert f"{len(offline)} passed offline" in plain.stdout
        assert shown["next"].startswith("every week passed here; weeks "), shown["next"]
    else:
        assert shown["next"] == "every week passed: well done"
