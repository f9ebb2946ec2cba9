"""`course verify`: every scaffold carries on the week it starts from (lineage, pure file
comparison); every solution passes its week's checks; every fresh scaffold fails one."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mlops_roadmap import course as course_mod
from mlops_roadmap import lineage, procs, runner, scaffold, venvs, workspace
from mlops_roadmap.course import PREPARE, Course
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.results import RunReport
from mlops_roadmap.roadmap import Week

PREPARE_TIMEOUT = 900


@dataclass(frozen=True)
class WeekProof:
    week: Week
    solution: RunReport
    scaffold: RunReport

    @property
    def problems(self) -> list[str]:
        out = [
            f"{self.week.id}: the reference solution does not pass '{r.title}': "
            f"{r.outcome}: {r.message}"
            for r in self.solution.results
            if r.outcome != "passed"
        ]
        if not self.solution.results:
            out.append(f"{self.week.id}: no checks ran on the reference solution")
        if not any(r.outcome == "failed" for r in self.scaffold.results):
            out.append(f"{self.week.id}: the fresh scaffold fails no check (it already passes)")
        return out


@dataclass(frozen=True)
class Verification:
    mirror: list[str]
    proofs: list[WeekProof]
    unchecked: list[Week]  # weeks without automated checks yet
    lineage: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return self.mirror + self.lineage + [p for proof in self.proofs for p in proof.problems]


def prepare(course: Course, week: Week, root: Path, with_solution: bool) -> workspace.Workspace:
    """A workspace at ``root`` holding the week as a learner would: scaffold, solution, venv."""
    ws = workspace.init(root)
    target = ws.week_dir(week)
    scaffold.lay(course, week, ws, target, force=False)
    if with_solution:
        shutil.copytree(
            course.solution(week),
            target,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(PREPARE),
        )
    python = venvs.layered(ws.root / ".venv", target / "requirements.txt")
    if with_solution and (course.solution(week) / PREPARE).is_file():
        run_prepare(course.solution(week) / PREPARE, target, python)
    return ws


def run_prepare(script: Path, week_dir: Path, python: Path) -> None:
    """Run a solution's ``prepare.sh``: the commands a learner runs beyond writing files
    (commit data versions, push to a remote, log runs), in the week folder, venv first on PATH."""
    env = {
        **os.environ,
        "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(python.parent.parent),
        "WORKSPACE": str(week_dir.parent),
    }
    result = procs.run(
        ["bash", "-euo", "pipefail", str(script)], cwd=week_dir, env=env, timeout=PREPARE_TIMEOUT
    )
    if result.returncode != 0:
        raise RoadmapError(f"{script}: failed (exit {result.returncode}): {result.tail(12)}")


def verify(
    course: Course,
    numbers: list[int] | None = None,
    on_week: Callable[[Week, str], None] | None = None,
) -> Verification:
    """Prove each chosen week (default: all): its scaffold's lineage, then, where it has checks,
    its solution and its fresh scaffold."""
    weeks = [course.plan.week(n) for n in numbers] if numbers else list(course.plan.weeks)
    mirror = course_mod.mirror_problems(course)
    descent: list[str] = []
    for week in weeks:
        if week.starts_from is not None and on_week is not None:
            on_week(week, f"lineage from {week.starts_from.week}")
        descent += [p.message for p in lineage.problems(course, [week])]
    proofs, unchecked = [], []
    for week in weeks:
        if not course.has_checks(week):
            unchecked.append(week)
            continue
        reports = []
        for with_solution in (True, False):
            if on_week is not None:
                on_week(week, "solution" if with_solution else "scaffold")
            with tempfile.TemporaryDirectory(prefix=f"verify-{week.id}-") as tmp:
                ws = prepare(course, week, Path(tmp) / "ws", with_solution)
                reports.append(runner.run_week(course, week, ws.root, ws.week_dir(week)))
        proofs.append(WeekProof(week, reports[0], reports[1]))
    return Verification(mirror, proofs, unchecked, descent)
