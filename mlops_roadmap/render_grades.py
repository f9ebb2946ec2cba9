"""What `grade` shows: a live progress bar with an ETA, then the class summary.

Kept beside ``render`` (which draws the learner's commands) so each stays small; both are the
only modules that build Rich output.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_roadmap.render import _console, _text

if TYPE_CHECKING:
    from mlops_roadmap.grading.grader import OnGraded
    from mlops_roadmap.grading.model import ClassGrades, Grade, GradeStatus

STATUS_STYLE: dict[GradeStatus, str] = {  # queued: no style
    "graded": "green",
    "fetch-failed": "red",
    "no-submission": "yellow",
    "timed-out": "magenta",
    "crashed": "magenta",
    "invalid-verdict": "red",
}


@contextmanager
def grading_progress(enabled: bool = True) -> Iterator[OnGraded | None]:
    """A progress bar with an ETA on stderr; one line per problem submission as it happens."""
    err = _console(stderr=True)
    if not enabled or not err.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("", total=None)

        def update(grade: Grade | None, done: int, total: int) -> None:
            if grade is not None and grade.status != "graded":
                err.print(_line(grade))
            who = f"{grade.student.id} {grade.week}" if grade else ""
            bar.update(task, completed=done, total=total, description=who)

        yield update


def _line(grade: Grade) -> object:
    style = STATUS_STYLE.get(grade.status, "")
    return _text(
        (f"{grade.student.id} {grade.week}: ", "bold"),
        (grade.status, style),
        (f" ({grade.message})" if grade.message else "", "dim"),
    )


def summary(cg: ClassGrades, files: list[Path], bundle: Path | None = None) -> None:
    """The class at a glance: how many were graded, failed to fetch, timed out, were late."""
    from rich.table import Table

    from mlops_roadmap.grading.model import late_words

    console = _console()
    table = Table(title=f"{cg.course}: {', '.join(cg.weeks)}", title_justify="left")
    for column in ("student", "week", "status", "commit", "late", "points"):
        table.add_column(column, justify="right" if column == "points" else "left")
    for g in cg.grades:
        late = (
            late_words(g.late_days)
            if g.late_days
            else (f"{g.late_commits} later" if g.late_commits else "")
        )
        table.add_row(
            g.student.id,
            g.week,
            _text((g.status, STATUS_STYLE.get(g.status, ""))),
            (g.commit or "")[:10],
            late,
            f"{g.points:g}/{g.max_points:g}" if g.report else "-",
        )
    console.print(table)
    for g in cg.grades:  # flagged dates, and weeks passed offline (their points leave checks out)
        for note in g.notes:
            label = "flagged: " if note in g.flags else "note: "
            console.print(_text((label, "bold yellow"), (f"{g.student.id} {g.week}: {note}", "")))
    counts = ", ".join(f"{v} {k}" for k, v in cg.summary.items() if v)
    console.print(_text(("summary: ", "bold"), (counts, "")))
    isolation = sorted({re.sub(r"uid \d+", "a uid per lane", g.isolation) for g in cg.grades})
    for words in filter(None, isolation):
        console.print(_text(("isolation: ", "bold"), (words, "dim")))
    if files:
        console.print(_text(("wrote: ", "bold"), (", ".join(str(f) for f in files[:4]), "")))
        if len(files) > 4:
            console.print(_text((f"  and {len(files) - 4} more in {files[0].parent}", "dim")))
    if bundle is not None:
        console.print(
            _text(
                ("kubernetes: ", "bold"),
                (
                    f"the Job's bundle is in {bundle.parent.parent}; run it on your cluster as "
                    "docs/grading-on-kubernetes.md shows, then collect with --collect",
                    "",
                ),
            )
        )
