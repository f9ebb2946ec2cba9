"""`doctor`: which tools the course needs are reachable here."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from mlops_roadmap import tools
from mlops_roadmap.course import Course


@dataclass(frozen=True)
class Finding:
    probe: tools.Probe
    weeks: tuple[str, ...]  # the weeks that need the tool


def doctor(course: Course | None, workspace: Path | None = None) -> list[Finding]:
    """Probe every registered tool (in parallel: each probe has its own timeout), looking for
    a tool that lives in a folder where the checks of the weeks needing it look."""
    weeks = course.plan.weeks if course else ()

    def one(tool: str) -> Finding:
        needing = [w for w in weeks if tool in w.tools]
        places = tools.Places(
            course.root if course else None, workspace, tuple(w.folder for w in needing)
        )
        return Finding(tools.probe(tool, places), tuple(w.id for w in needing))

    with ThreadPoolExecutor(max_workers=len(tools.TOOLS)) as pool:
        return list(pool.map(one, tools.TOOLS))
