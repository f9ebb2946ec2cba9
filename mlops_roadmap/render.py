"""Everything the terminal shows. The only module that builds Rich output.

Rich honours NO_COLOR and a non-terminal stdout by itself; output stays plain text when piped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from mlops_roadmap.commands.doctor import Finding
    from mlops_roadmap.commands.learn import FileDiff, Hints
    from mlops_roadmap.commands.verify import Verification
    from mlops_roadmap.plugin import Progress
    from mlops_roadmap.progress import Overview
    from mlops_roadmap.results import CheckResult, RunReport
    from mlops_roadmap.roadmap import Week
    from mlops_roadmap.scaffold import ScaffoldReport

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

MARKS = {
    "passed": ("✔", "green"),
    "failed": ("✘", "red"),
    "blocked": ("⊘", "yellow"),
    "error": ("!", "magenta"),
}
STATE_STYLE = {"passed": "green", "in progress": "cyan", "available": "white", "locked": "dim"}


def error(message: str) -> None:
    err.print(Text("error: ", style="bold red") + Text(message))


def warning(message: str) -> None:
    err.print(Text("warning: ", style="yellow") + Text(message))


@contextmanager
def live_progress(enabled: bool = True) -> Iterator[Progress | None]:
    """A live status line on stderr while checks run; a no-op when disabled or not a terminal."""
    if not enabled or not err.is_terminal:
        yield None
        return
    with err.status("collecting checks…") as status:

        def update(index: int, total: int, title: str) -> None:
            status.update(f"[{index}/{total}] {escape(title)}")

        yield update


def check_result(result: CheckResult) -> Text:
    mark, style = MARKS[result.outcome]
    line = Text(f" {mark} ", style=f"bold {style}") + Text(result.title)
    line.append(f"  ({result.duration:.1f}s)", style="dim")
    if result.outcome == "passed":
        return line
    for label, value in (
        ("expected", result.expected),
        ("found", result.found),
        ("hint", result.hint),
    ):
        if value:
            line.append(f"\n     {label:>8}: ", style="bold" if label != "hint" else "cyan")
            line.append(value.replace("\n", "\n" + " " * 16))
    return line


def run_report(report: RunReport, unlocked: Week | None = None) -> None:
    out.print(Text(f"{report.week}: {report.title}", style="bold"))
    for result in report.results:
        out.print(check_result(result))
    counts = ", ".join(f"{report.count(o)} {o}" for o in MARKS if report.count(o))
    style = "green" if report.passed else "red"
    verdict = "PASSED" if report.passed else "NOT YET"
    out.print(
        Text(f"\n{verdict}", style=f"bold {style}")
        + Text(
            f"  {counts} · {report.points:g}/{report.max_points:g} points · {report.duration:.1f}s"
        )
    )
    if unlocked is not None:
        out.print(
            Text(
                f"Unlocked {unlocked.id}: {unlocked.title}. "
                f"Next: mlops-roadmap start {unlocked.number}",
                style="green",
            )
        )


def overview(view: Overview, months: dict[int, str]) -> None:
    total = len(view.weeks)
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("week", "title", "state", "checks", "last attempt"):
        table.add_column(column)
    current = None
    for status in view.weeks:
        if status.week.month != current:
            current = status.week.month
            label = f"Month {current}: {months.get(current, '')}"
            table.add_row("", Text(label, style="bold magenta"))
        last = status.last
        checks = f"{last.passed}/{last.total}" if last else ("—" if status.checked else "none yet")
        state = status.state + (" (forced)" if status.forced else "")
        table.add_row(
            status.week.id[4:],
            status.week.title,
            Text(state, style=STATE_STYLE[status.state]),
            checks,
            last.at.replace("T", " ")[:16] if last else "",
        )
    done = view.passed
    bar = "█" * round(30 * done / total) + "░" * (30 - round(30 * done / total))
    out.print(table)
    out.print(Text(f"\n{bar} {done}/{total} weeks passed ({100 * done // total}%)"))
    out.print(Text("Next: ", style="bold") + Text(view.next_step))


def scaffolded(report: ScaffoldReport) -> None:
    out.print(Text(f"Week folder: {report.folder}", style="bold"))
    for label, names, style in (
        ("created", report.created, "green"),
        ("unchanged", report.unchanged, "dim"),
        ("kept yours", report.kept, "yellow"),
        ("overwritten", report.overwritten, "red"),
    ):
        for name in names:
            out.print(Text(f"  {label:>11} ", style=style) + Text(name))
    if report.kept:
        out.print(
            Text(
                "Your versions were kept; `--force` replaces them (with a backup).", style="yellow"
            )
        )
    if report.backup:
        out.print(Text(f"Backup of your previous files: {report.backup}", style="yellow"))


def hints(h: Hints) -> None:
    for i, text in enumerate(h.shown, 1):
        style = "bold" if i == len(h.shown) else "dim"
        out.print(Text(f"Hint {i}/{len(h.week.hints)}: ", style="cyan") + Text(text, style=style))
    if h.remaining:
        out.print(Text(f"{h.remaining} more: run `mlops-roadmap hint` again.", style="dim"))


def solution(diffs: list[FileDiff]) -> None:
    from rich.syntax import Syntax

    for d in diffs:
        if not d.diff:
            out.print(Text(f"  same as the reference: {d.path}", style="dim"))
            continue
        note = " (you have no such file)" if d.missing else ""
        out.print(Text(f"{d.path}{note}", style="bold"))
        out.print(Syntax(d.diff, "diff", theme="ansi_dark", background_color="default"))


def doctor(findings: list[Finding]) -> None:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("", "tool", "what was found", "needed by", "fix"):
        table.add_column(column, overflow="fold")
    for f in findings:
        mark, style = ("✔", "green") if f.probe.ok else ("✘", "red")
        weeks = ", ".join(w[4:] for w in f.weeks) if f.weeks else "—"
        table.add_row(Text(mark, style=style), f.probe.tool, f.probe.detail, weeks, f.probe.fix)
    out.print(table)


def lesson(path: Path) -> None:
    from rich.markdown import Markdown

    out.print(Markdown(path.read_text(encoding="utf-8")))


def verification(v: Verification) -> None:
    for proof in v.proofs:
        ok = not proof.problems
        mark, style = ("✔", "green") if ok else ("✘", "red")
        sol, fresh = proof.solution, proof.scaffold
        out.print(
            Text(f" {mark} ", style=f"bold {style}")
            + Text(
                f"{proof.week.id}: solution {sol.count('passed')}/{len(sol.results)} passed, "
                f"scaffold fails {fresh.count('failed')}/{len(fresh.results)}"
            )
        )
    if v.unchecked:
        names = ", ".join(w.id[4:] for w in v.unchecked)
        out.print(Text(f" · weeks without automated checks yet: {names}", style="dim"))
    items = [Text(p) for p in v.problems]
    if items:
        out.print(Panel(Group(*items), title="problems", border_style="red"))
    else:
        out.print(Text("course verified", style="bold green"))
