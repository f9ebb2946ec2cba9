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
    external: dict[str, str] = field(default_factory=dict)  # check id -> what it needs

    def _elsewhere(self, outcome: str, check_id: str) -> bool:
        """A check that needs something outside this machine, blocked here for want of it."""
        return outcome == "blocked" and check_id in self.external

    @property
    def not_proven_here(self) -> list[str]:
        """The solution's checks that need what this machine lacks: blocked, so not proven."""
        return [
            f"{self.week.id}: '{r.title}' needs {self.external[r.id]}: not proven here ({r.found})"
            for r in self.solution.results
            if self._elsewhere(r.outcome, r.id)
        ]

    @property
    def problems(self) -> list[str]:
        out = [
            f"{self.week.id}: the reference solution does not pass '{r.title}': "
            f"{r.outcome}: {r.message}"
            for r in self.solution.results
            if r.outcome != "passed" and not self._elsewhere(r.outcome, r.id)
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
    unproven: list[str] = field(default_factory=list)  # weeks that could not be run at all

    @property
    def problems(self) -> list[str]:
        proofs = [p for proof in self.proofs for p in proof.problems]
        return self.mirror + self.lineage + self.unproven + proofs

    @property
    def not_proven_here(self) -> list[str]:
        """Checks that need a cluster or a cloud account this machine lacks (never a pass)."""
        return [line for proof in self.proofs for line in proof.not_proven_here]


def prepare(course: Course, week: Week, root: Path, with_solution: bool) -> workspace.Workspace:
    """A workspace at ``root`` holding the week as a learner would: scaffold, solution, venv."""
    ws = workspace.init(root)
    scaffold.lay(course, week, ws, ws.week_dir(week), force=False)
    equip(course, week, ws, with_solution)
    return ws


def equip(course: Course, week: Week, ws: workspace.Workspace, with_solution: bool) -> None:
    """Make the week already laid in ``ws`` ready to check: its reference solution copied over
    the scaffold (with ``with_solution``), the workspace venv, then the solution's
    ``prepare.sh``. Works on a fresh workspace and on one that already holds earlier weeks."""
    target = ws.week_dir(week)
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
    proofs, unchecked, unproven = [], [], []
    for week in weeks:
        if not course.has_checks(week):
            unchecked.append(week)
            continue
        if not course.solution(week).is_dir():
            continue  # the mirror's problems name it
        try:
            proofs.append(_prove(course, week, on_week))
        except RoadmapError as exc:  # its scaffold or its solution cannot even be laid
            unproven.append(f"{week.id}: {exc}")
    return Verification(mirror, proofs, unchecked, descent, unproven)


def _prove(course: Course, week: Week, on_week: Callable[[Week, str], None] | None) -> WeekProof:
    """Run the week's checks on its reference solution, then on its fresh scaffold."""
    reports = []
    for with_solution in (True, False):
        if on_week is not None:
            on_week(week, "solution" if with_solution else "scaffold")
        with tempfile.TemporaryDirectory(prefix=f"verify-{week.id}-") as tmp:
            ws = prepare(course, week, Path(tmp) / "ws", with_solution)
            reports.append(runner.run_week(course, week, ws.root, ws.week_dir(week)))
    external: dict[str, str] = {}
    if any(r.outcome == "blocked" for r in reports[0].results):  # which may block by design
        from mlops_roadmap.manifest import collect_week

        external = {c.id: c.external for c in collect_week(course, week).checks if c.external}
    return WeekProof(week, reports[0], reports[1], external)
