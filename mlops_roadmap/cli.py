"""The command line: thin commands that parse, call one core function, render, and exit.

Exit codes: 0 success, 1 a failed check or a user error (``RoadmapError``), 2 usage, 3 the week
has no automated checks yet, 130 Ctrl-C, 128 + N when stopped by signal N (SIGTERM 143, SIGHUP
129); see ``error_handler``.
"""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from mlops_roadmap import __version__
from mlops_roadmap.cli_grade import grade
from mlops_roadmap.cli_options import JsonFlag, Options
from mlops_roadmap.cli_options import course as _course
from mlops_roadmap.cli_options import print_json as _print_json
from mlops_roadmap.cli_options import workspace as _workspace
from mlops_roadmap.errors import RoadmapError

if TYPE_CHECKING:
    from mlops_roadmap.course import Course
    from mlops_roadmap.formats import RunFormat
    from mlops_roadmap.results import RunReport
    from mlops_roadmap.roadmap import Week

# `check`'s exit code when every check this machine can run passed and the others wait on a
# cluster or a cloud account (the week is passed offline: the next one opens).
OFFLINE = 4

app = typer.Typer(
    name="mlops-roadmap",
    help="Learn MLOps in 24 weeks: scaffold each week's project and check your real work.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
course_app = typer.Typer(help="Tools for course authors.", no_args_is_help=True)
app.add_typer(course_app, name="course")

WeekWords = Annotated[
    list[str] | None,
    typer.Argument(
        help="The week: 'week 5', '5' or 'week05'.", show_default=False, metavar="[week] N"
    ),
]


def _version(value: bool) -> None:
    if value:
        print(f"mlops-roadmap {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    course: Annotated[
        Path | None,
        typer.Option(envvar="MLOPS_ROADMAP_COURSE", help="Use the course in this folder."),
    ] = None,
    workspace: Annotated[
        Path | None,
        typer.Option(
            envvar="MLOPS_ROADMAP_WORKSPACE", help="Use this workspace, not the current one."
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Learn MLOps in 24 weeks: scaffold each week's project and check your real work."""
    Options.course, Options.workspace = course, workspace


def parse_week(words: list[str] | None) -> int | None:
    """'week 5', '5', 'week5' or 'week05' as a number; nothing as None. One number only, in
    ASCII digits ('1 2' is not week 12)."""
    from mlops_roadmap.errors import brief

    tokens = [word.strip().lower() for word in words or [] if word.strip()]
    if tokens and tokens[0] == "week":
        tokens = tokens[1:]
    elif tokens:
        tokens[0] = tokens[0].removeprefix("week")
    if not tokens:
        return None
    text = tokens[0]
    if len(tokens) > 1 or not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise typer.BadParameter(
            f"expected one week like 'week 5' or '5', got {brief(' '.join(words or []), 40)}"
        )
    return int(text)


def _week(c: "Course", words: list[str] | None, required: bool = True) -> "Week":
    number = parse_week(words)
    if number is None:
        if not required:
            from mlops_roadmap.commands.check import resolve_week
            from mlops_roadmap.workspace import current_folder

            return resolve_week(c, _workspace(), None, current_folder())
        raise typer.BadParameter("name the week, e.g. 'week 5'")
    return c.plan.week(number)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to make the workspace.")] = Path("."),
) -> None:
    """Make a workspace: a git repository with the progress store."""
    from mlops_roadmap import render, workspace

    ws = workspace.init(directory)
    render.workspace_ready(ws.root, directory)


@app.command()
def start(
    week: WeekWords = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Start a locked week (recorded); update the files you never changed.",
        ),
    ] = False,
) -> None:
    """Scaffold a week's project into the workspace (`start week 5`)."""
    from mlops_roadmap import render
    from mlops_roadmap.commands.start import start as do_start

    c = _course()
    render.scaffolded(do_start(c, _workspace(), _week(c, week), force))


# What `check --format` prints: the usual report, or one of formats.RUN_FORMATS (CI, Gradescope).
CheckFormat = Literal["text", "json", "junit", "gradescope"]


@app.command()
def check(
    week: WeekWords = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON (same as --format json).")
    ] = False,
    fmt: Annotated[
        CheckFormat,
        typer.Option(
            "--format", help="junit is JUnit XML; gradescope is Gradescope's results.json."
        ),
    ] = "text",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the --format output here and show the usual report."
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show pytest's own output.")
    ] = False,
    select: Annotated[
        str | None,
        typer.Option("-k", help="Only the checks matching this pytest expression (not recorded)."),
    ] = None,
) -> None:
    """Run the week's checks on your work (the week is inferred from where you are)."""
    from mlops_roadmap import render, streams
    from mlops_roadmap.commands.check import check as do_check

    if as_json and fmt not in ("text", "json"):
        raise typer.BadParameter("--json is --format json: give one of them", param_hint="--json")
    fmt = "json" if as_json else fmt
    if output is not None and fmt == "text":
        raise typer.BadParameter(
            "say what to write: --format json|junit|gradescope", param_hint="--output"
        )
    if output is not None and output.is_dir():
        raise typer.BadParameter(
            f"{output} is a folder: name a file to write", param_hint="--output"
        )
    machine = fmt != "text" and output is None  # then stdout carries the export alone
    c, ws = _course(), _workspace()
    chosen = _week(c, week, required=False)
    with (
        streams.stdout_to_stderr(machine),  # a check that prints cannot corrupt the export
        render.live_progress(not machine and not verbose) as on_check,
    ):
        checked = do_check(c, ws, chosen, verbose=verbose, select=select, on_check=on_check)
    problem = checked.not_recorded  # reported after the run's own report
    if fmt == "text":
        render.run_report(checked.report, checked.unlocked)
    elif machine:
        _export_check(fmt, checked.report, None, problem)
    else:
        render.run_report(checked.report, checked.unlocked)
        _export_check(fmt, checked.report, output, None)
    if problem is not None:
        problem.in_output = machine and fmt == "json"
        raise problem
    raise typer.Exit(
        0 if checked.report.passed else OFFLINE if checked.report.passed_offline else 1
    )


def _export_check(
    fmt: "RunFormat", report: "RunReport", output: Path | None, problem: RoadmapError | None
) -> None:
    from mlops_roadmap import formats

    error = (str(problem), problem.exit_code) if problem is not None else None
    text = formats.render(fmt, report, error)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        formats.write_atomic(output, text)
    except OSError as exc:
        raise RoadmapError(
            f"{output}: cannot write the {fmt} report ({exc.strerror or exc}): choose another "
            "--output (the run's report is above)"
        ) from None


@app.command()
def status(as_json: JsonFlag = False) -> None:
    """Show your progress through the 24 weeks and what to do next."""
    from mlops_roadmap import render, week_status

    c, ws = _course(), _workspace()
    store = ws.store()
    try:
        view = week_status.overview(c, store)
    finally:
        store.close()
    if as_json:
        _print_json(
            {
                "next": view.next_step,
                "passed": view.passed,
                "passed_offline": view.passed_offline,
                "weeks": [
                    {
                        "id": s.week.id,
                        "title": s.week.title,
                        "month": s.week.month,
                        "state": s.state,
                        "forced": s.forced,
                        "needs": s.needs,
                        "checks_passed": s.last.passed if s.last else None,
                        "checks_total": s.last.total if s.last else None,
                        "last_attempt": s.last.at if s.last else None,
                    }
                    for s in view.weeks
                ],
            }
        )
        return
    render.overview(view, {m.number: m.title for m in c.plan.months})


@app.command()
def hint(week: WeekWords = None) -> None:
    """Show the week's hints, one more each time you ask."""
    from mlops_roadmap import render
    from mlops_roadmap.commands.learn import hint as do_hint

    c = _course()
    render.hints(do_hint(c, _workspace(), _week(c, week, required=False)))


@app.command()
def watch(
    week: WeekWords = None,
    poll: Annotated[
        bool,
        typer.Option("--poll", help="Poll for changes (for WSL, Docker volumes, network drives)."),
    ] = False,
) -> None:
    """Re-run the week's checks whenever a file in its folder changes, until Ctrl-C."""
    from contextlib import closing

    from mlops_roadmap import render
    from mlops_roadmap.commands.check import check as do_check
    from mlops_roadmap.commands.watch import watcher

    c, ws = _course(), _workspace()
    chosen = _week(c, week, required=False)
    folder = ws.week_dir(chosen)
    with closing(watcher(folder, poll)) as changes:
        while True:
            changes.mark()  # before the run, so a save made while the checks run is seen
            with render.live_progress() as progress:
                outcome = do_check(c, ws, chosen, on_check=progress)
            render.run_report(outcome.report, outcome.unlocked)
            if outcome.not_recorded is not None:  # shown, and the watch goes on
                render.warning(str(outcome.not_recorded))
            render.note(f"Watching {folder} ({changes.how}); Ctrl-C to stop.")
            changes.wait()


@app.command()
def solution(
    week: WeekWords = None,
    changes: Annotated[
        bool,
        typer.Option("--changes", help="Show your own changes since the scaffold was laid."),
    ] = False,
) -> None:
    """After you pass a week: its reference solution, as a diff against your files."""
    from mlops_roadmap import render
    from mlops_roadmap.commands import learn

    c = _course()
    if changes:
        render.changes(learn.changes(c, _workspace(), _week(c, week)))
    else:
        render.solution(learn.solution(c, _workspace(), _week(c, week)))


@app.command()
def reset(
    week: WeekWords = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Scaffold a week afresh; the files you changed or added are kept in a backup."""
    from mlops_roadmap import render
    from mlops_roadmap.commands.start import reset as do_reset

    c = _course()
    chosen = _week(c, week)
    if (
        not yes
        and sys.stdin.isatty()
        and not typer.confirm(f"Lay {chosen.folder} afresh, backing up the files you changed?")
    ):
        raise typer.Exit(1)
    render.reset(do_reset(c, _workspace(), chosen))


@app.command()
def doctor(as_json: JsonFlag = False) -> None:
    """Check which tools the course needs are reachable here, and how to fix what is missing."""
    from mlops_roadmap import render
    from mlops_roadmap.commands.doctor import doctor as do_doctor

    try:
        c: Course | None = _course()
    except RoadmapError:
        c = None
    try:
        ws: Path | None = _workspace().root  # where a week's own environment may live
    except RoadmapError:
        ws = None
    findings = do_doctor(c, ws)
    if as_json:
        _print_json(
            [
                {
                    "tool": f.probe.tool,
                    "ok": f.probe.ok,
                    "detail": f.probe.detail,
                    "fix": f.probe.fix,
                    "weeks": f.weeks,
                }
                for f in findings
            ]
        )
    else:
        render.doctor(findings)


@app.command()
def show(week: WeekWords = None) -> None:
    """Show a week's lesson in the terminal (`show week 5`)."""
    from mlops_roadmap import render

    c = _course()
    render.lesson(c.lesson_text(_week(c, week)))


@course_app.command()
def verify(
    week: Annotated[
        list[int] | None, typer.Option("--week", help="Only these weeks (repeatable).")
    ] = None,
) -> None:
    """Prove the course: folders mirror each other, solutions pass, scaffolds fail."""
    from mlops_roadmap import render
    from mlops_roadmap.commands.verify import verify as do_verify

    def announce(w: "Week", what: str) -> None:
        render.note(f"{w.id}: checking the {what}…")

    result = do_verify(_course(), week, announce)
    render.verification(result)
    raise typer.Exit(1 if result.problems else 0)


app.command()(grade)


def main() -> None:
    """The console entry point: ``error_handler`` turns the command's end into an exit code."""
    from mlops_roadmap import contain, error_handler

    contain.enable()
    try:
        code = error_handler.run(app)
    finally:
        contain.finish()  # what a command left behind goes, and the guard is told
    error_handler.flush()
    sys.exit(code)
