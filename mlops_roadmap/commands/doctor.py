"""`doctor`: which tools the course needs are reachable here."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from mlops_roadmap import tools
from mlops_roadmap.course import Course


@dataclass(frozen=True)
class Finding:
    probe: tools.Probe
    weeks: tuple[str, ...]  # the weeks that need the tool


def doctor(course: Course | None) -> list[Finding]:
    """Probe every registered tool (in parallel: each probe has its own timeout)."""
    with ThreadPoolExecutor(max_workers=len(tools.TOOLS)) as pool:
        probes = list(pool.map(tools.probe, tools.TOOLS))
    weeks = course.plan.weeks if course else ()
    return [Finding(p, tuple(w.id for w in weeks if p.tool in w.tools)) for p in probes]
