"""`course verify`: every solution passes its week's checks; every fresh scaffold fails one."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlops_roadmap import course as course_mod
from mlops_roadmap import runner, scaffold, venvs, workspace
from mlops_roadmap.course import Course
from mlops_roadmap.results import RunReport
from mlops_roadmap.roadmap import Week


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

    @property
    def problems(self) -> list[str]:
        return self.mirror + [p for proof in self.proofs for p in proof.problems]


def prepare(course: Course, week: Week, root: Path, with_solution: bool) -> workspace.Workspace:
    """A workspace at ``root`` holding the week as a learner would: scaffold, solution, venv."""
    ws = workspace.init(root)
    target = ws.week_dir(week)
    scaffold.lay(course, week, ws, target, force=False)
    if with_solution:
        shutil.copytree(course.solution(week), target, dirs_exist_ok=True)
    venvs.layered(ws.root / ".venv", target / "requirements.txt")
    return ws


def verify(
    course: Course,
    numbers: list[int] | None = None,
    on_week: Callable[[Week, str], None] | None = None,
) -> Verification:
    """Prove each chosen week (default: every week with checks) on solution and scaffold."""
    weeks = [course.plan.week(n) for n in numbers] if numbers else list(course.plan.weeks)
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
    return Verification(course_mod.mirror_problems(course), proofs, unchecked)
