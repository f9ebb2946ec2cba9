"""Everything the terminal shows. The only module that builds Rich output.

Rich is imported inside the functions that use it: the dashboard (`status`) is drawn with plain
ANSI codes so that it starts almost as fast as bare Python. Colour follows NO_COLOR, FORCE_COLOR
and whether the stream is a terminal, as Rich does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from mlops_roadmap.commands.doctor import Finding
    from mlops_roadmap.commands.learn import Changes, FileDiff, Hints
    from mlops_roadmap.commands.verify import Verification
    from mlops_roadmap.plugin import CheckStarted
    from mlops_roadmap.results import CheckResult, Outcome, Review, RunReport
    from mlops_roadmap.roadmap import Week
    from mlops_roadmap.scaffold import ScaffoldReport
    from mlops_roadmap.week_status import Overview, WeekState

MARKS: dict[Outcome, tuple[str, str]] = {
    "passed": ("✔", "green"),
    "failed": ("✘", "red"),
    "blocked": ("⊘", "yellow"),
    "error": ("!", "magenta"),
}
BACKUP_LISTED = 20  # a reset lists this many backed-up files, then counts the rest
STATE_STYLE: dict[WeekState, str] = {
    "passed": "green",
    "passed offline": "yellow",
    "in progress": "cyan",
    "available": "",
    "locked": "dim",
}
SGR = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "magenta": "35",
    "cyan": "36",
}


@cache
def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _text(*parts: tuple[str, str]) -> Text:
    from rich.text import Text

    text = Text()
    for content, style in parts:
        text.append(content, style=style or None)
    return text


def out(message: object = "") -> None:
    """Print to stdout (Rich markup allowed in strings)."""
    _console().print(message)


def note(message: str) -> None:
    """A dim line on stderr: progress, not the command's result."""
    _console(stderr=True).print(_text((message, "dim")))


def error(message: str) -> None:
    _console(stderr=True).print(_text(("error: ", "bold red"), (message, "")))


def warning(message: str) -> None:
    _console(stderr=True).print(_text(("warning: ", "yellow"), (message, "")))


@contextmanager
def live_progress(enabled: bool = True) -> Iterator[CheckStarted | None]:
    """A live status line on stderr while checks run; a no-op when disabled or not a terminal."""
    err = _console(stderr=True)
    if not enabled or not err.is_terminal:
        yield None
        return
    from rich.markup import escape

    with err.status("collecting checks…") as status:

        def update(index: int, total: int, title: str) -> None:
            status.update(f"[{index}/{total}] {escape(title)}")

        yield update


def check_result(result: CheckResult) -> object:
    """One check: a mark and its title; for a miss, expected/found/hint wrapped in a column."""
    from rich.table import Table

    mark, style = MARKS[result.outcome]
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=2, no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_row(
        _text((mark, f"bold {style}")),
        _text(
            (result.title, ""),
            (f"  ({result.duration:.1f}s)", "dim"),
            (f"  {result.notes}" if result.notes else "", "dim"),
        ),
    )
    if result.outcome != "passed":
        details = Table.grid(padding=(0, 1))
        details.add_column(justify="right", no_wrap=True)
        details.add_column(ratio=1, overflow="fold")
        for label, value in (
            ("expected", result.expected),
            ("found", result.found),
            ("hint", result.hint),
        ):
            if value:
                details.add_row(
                    _text((f"{label}:", "cyan" if label == "hint" else "bold")), _text((value, ""))
                )
        grid.add_row("", details)
    return grid


def review_item(review: Review) -> object:
    """One item a mentor judges: its title, and what to look at beneath it."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=2, no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    grid.add_row(_text(("◇", "bold cyan")), _text((review.title, "")))
    if review.look_at:
        grid.add_row("", _text((review.look_at, "dim")))
    return grid


def run_report(report: RunReport, unlocked: Week | None = None) -> None:
    out(_text((f"{report.week}: {report.title}", "bold")))
    for result in report.results:
        out(check_result(result))
    if report.reviews:
        out(_text(("\nFor a mentor's review (neither passed nor failed):", "bold cyan")))
        for review in report.reviews:
            out(review_item(review))
    counts = ", ".join(f"{report.count(o)} {o}" for o in MARKS if report.count(o))
    style = "green" if report.passed else "yellow" if report.passed_offline else "red"
    verdict = (
        "PASSED" if report.passed else "PASSED OFFLINE" if report.passed_offline else "NOT YET"
    )
    out(
        _text(
            (f"\n{verdict}", f"bold {style}"),
            (
                f"  {counts} · {report.points:g}/{report.max_points:g} points · "
                f"{report.duration:.1f}s",
                "",
            ),
        )
    )
    if report.passed_offline:
        out(
            _text(
                (
                    "Every check this machine can run passed; the blocked ones need "
                    f"{'; '.join(report.needs)}. Run `check` again where that is reachable to "
                    "pass the week.",
                    "yellow",
                )
            )
        )
    if unlocked is not None:
        out(
            _text(
                (
                    f"Unlocked {unlocked.id}: {unlocked.title}. "
                    f"Next: mlops-roadmap start {unlocked.number}",
                    "green",
                )
            )
        )


def _colour(stream: object) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


def overview(view: Overview, months: dict[int, str]) -> None:
    """The dashboard, in plain ANSI (no Rich import: `status` must start fast)."""
    colour = _colour(sys.stdout)

    def paint(text: str, style: str) -> str:
        codes = ";".join(SGR[s] for s in style.split())
        return f"\x1b[{codes}m{text}\x1b[0m" if colour and codes else text

    width = max(len(s.week.title) for s in view.weeks)
    lines, current = (
        [paint(f"{'week':<5} {'title':<{width}}  {'state':<20} checks  last", "bold")],
        0,
    )
    for status in view.weeks:
        if status.week.month != current:
            current = status.week.month
            lines.append(paint(f"Month {current}: {months.get(current, '')}", "bold magenta"))
        last = status.last
        checks = f"{last.passed}/{last.total}" if last else ("—" if status.checked else "none yet")
        state = status.state + (" (forced)" if status.forced else "")
        when = last.at.replace("T", " ")[:16] if last else ""
        lines.append(
            f"  {status.week.id[4:]:<3} {status.week.title:<{width}}  "
            f"{paint(f'{state:<20}', STATE_STYLE[status.state])} {checks:<7} {when}"
        )
    done, offline, total = view.passed, view.passed_offline, len(view.weeks)
    filled, half = round(30 * done / total), round(30 * (done + offline) / total)
    lines.append(
        f"\n{paint('█' * filled, 'green')}{paint('▒' * (half - filled), 'yellow')}"
        f"{'░' * (30 - half)} {done}/{total} weeks passed ({100 * done // total}%)"
        + (f", {offline} passed offline" if offline else "")
    )
    for status in view.weeks:
        if status.needs:
            lines.append(
                f"  {status.week.id} passed offline: its blocked checks need {status.needs}"
            )
    lines.append(f"{paint('Next:', 'bold')} {view.next_step}")
    sys.stdout.write("\n".join(lines) + "\n")


def workspace_ready(root: Path, given: Path) -> None:
    out(_text((f"Workspace ready at {root}\nNext: cd {given} && mlops-roadmap start 1", "")))


def scaffolded(report: ScaffoldReport) -> None:
    out(_text((f"Week folder: {report.folder}", "bold")))
    for label, names, style in (
        ("created", report.created, "green"),
        ("unchanged", report.unchanged, "dim"),
        ("updated", report.updated, "cyan"),
        ("outdated", report.outdated, "cyan"),
        ("kept yours", report.kept, "yellow"),
    ):
        for name in names:
            out(_text((f"  {label:>11} ", style), (name, "")))
    week = report.week
    if report.outdated:
        out(_text((f"Outdated: still as laid; `start week {week} --force` updates them.", "cyan")))
    if report.kept:
        out(
            _text(
                (
                    "Kept yours: changed since they were laid (or laid before that was "
                    f"recorded). `reset week {week}` lays the week afresh, backing them up.",
                    "yellow",
                )
            )
        )


def reset(report: ScaffoldReport) -> None:
    scaffolded(report)
    if not report.backup:
        out(_text(("Nothing of yours needed a backup: every old file was as laid.", "dim")))
        return
    out(_text((f"Your changed and own files are backed up in {report.backup}:", "yellow")))
    for name in report.backed_up[:BACKUP_LISTED]:
        out(_text(("    ", ""), (name, "")))
    if len(report.backed_up) > BACKUP_LISTED:
        out(_text((f"    … and {len(report.backed_up) - BACKUP_LISTED} more", "dim")))


def hints(h: Hints) -> None:
    for i, text in enumerate(h.shown, 1):
        out(
            _text(
                (f"Hint {i}/{len(h.week.hints)}: ", "cyan"),
                (text, "bold" if i == len(h.shown) else "dim"),
            )
        )
    if h.remaining:
        out(_text((f"{h.remaining} more: run `mlops-roadmap hint` again.", "dim")))


def solution(diffs: list[FileDiff]) -> None:
    for d in diffs:
        if not d.diff:
            out(_text((f"  same as the reference: {d.path}", "dim")))
            continue
        note_ = " (you have no such file)" if d.missing else ""
        out(_text((f"{d.path}{note_}", "bold")))
        _diff(d.diff)


def changes(c: Changes) -> None:
    out(_text((f"Your changes since the scaffold of {c.week.id} was laid ({c.laid_at})", "bold")))
    if not c.changed:
        out(_text(("  none: every file the scaffold laid is as it was", "dim")))
    for ch in c.changed:
        if ch.course_changed:
            why = "deleted; " if ch.deleted else ""
            out(_text((ch.path, "bold"), (f" ({why}the course changed it since)", "yellow")))
            continue
        out(_text((ch.path, "bold"), (" (deleted)" if ch.deleted else "", "yellow")))
        _diff(ch.diff)
    if c.own:
        out(_text(("Your own files (the scaffold did not lay them):", "bold")))
        for name in c.own:
            out(_text(("  ", ""), (name, "")))


def _diff(text: str) -> None:
    from rich.syntax import Syntax

    out(Syntax(text, "diff", theme="ansi_dark", background_color="default"))


def doctor(findings: list[Finding]) -> None:
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("", "tool", "what was found", "needed by weeks", "fix"):
        table.add_column(column, overflow="fold")
    for f in findings:
        mark, style = ("✔", "green") if f.probe.ok else ("✘", "red")
        weeks = ", ".join(w[4:] for w in f.weeks) if f.weeks else "—"
        cells = (f.probe.tool, f.probe.detail, weeks, f.probe.fix)  # plain text, never markup
        table.add_row(_text((mark, style)), *(_text((cell, "")) for cell in cells))
    out(table)


def lesson(text: str) -> None:
    from rich.markdown import Markdown

    out(Markdown(text))


def verification(v: Verification) -> None:
    for proof in v.proofs:
        mark, style = ("✘", "red") if proof.problems else ("✔", "green")
        sol, fresh = proof.solution, proof.scaffold
        out(
            _text(
                (f" {mark} ", f"bold {style}"),
                (
                    f"{proof.week.id}: solution {sol.count('passed')}/{len(sol.results)} passed, "
                    f"scaffold fails {fresh.count('failed')}/{len(fresh.results)}",
                    "",
                ),
            )
        )
    if v.unchecked:
        names = ", ".join(w.id[4:] for w in v.unchecked)
        out(_text((f" · weeks without automated checks yet: {names}", "dim")))
    for line in v.not_proven_here:
        out(_text((f" ! {line}", "yellow")))
    if v.problems:
        from rich.panel import Panel

        out(Panel(_text(("\n".join(v.problems), "")), title="problems", border_style="red"))
    else:
        out(_text(("course verified", "bold green")))
