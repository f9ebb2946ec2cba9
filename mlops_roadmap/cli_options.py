"""What every command shares: the root options (--course, --workspace), loading what they name,
and printing a result as JSON. The learner's CLI (``cli``) and the instructor's (``cli_grade``)
both import it, so neither imports the other.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from mlops_roadmap.course import Course
    from mlops_roadmap.workspace import Workspace

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


class Options:
    """The root callback's options, set once per invocation."""

    course: Path | None = None
    workspace: Path | None = None


def course() -> Course:
    """The course --course names (or the default one), its roadmap's warnings shown."""
    from mlops_roadmap import course, render

    loaded = course.load(Options.course)
    for warning in loaded.plan.warnings:
        render.warning(warning)
    return loaded


def workspace() -> Workspace:
    """The workspace --workspace names, else the one holding the current folder."""
    from mlops_roadmap import workspace

    return workspace.find(Options.workspace)


def print_json(data: object) -> None:
    import json  # only the --json paths pay for it

    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
