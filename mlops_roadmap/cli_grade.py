"""The instructor's command, `grade`; ``cli`` registers it on the learner's app."""

from pathlib import Path
from typing import Annotated

import typer

from mlops_roadmap.cli_options import JsonFlag, print_json
from mlops_roadmap.cli_options import course as load_course
from mlops_roadmap.grading import backend_names as backends


def _backend(name: str) -> str:
    """`--backend` is one of the registry's names, or auto."""
    if name not in backends.choices():
        raise typer.BadParameter(f"{name!r} is not one of {', '.join(backends.choices())}")
    return name


def grade(
    roster: Annotated[Path, typer.Argument(help="CSV of id,name,repo[,branch], one per student.")],
    week: Annotated[list[int], typer.Option("--week", help="A week to grade (repeatable).")],
    deadline: Annotated[
        list[str] | None,
        typer.Option(
            help="Grade the last commit at or before this time (2026-12-01T23:59+01:00); "
            "repeat as week01=TIME to give a week its own."
        ),
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Submissions graded at once.")] = 2,
    out: Annotated[Path, typer.Option(help="Where the gradebook and reports go.")] = Path("grades"),
    backend: Annotated[
        str,
        typer.Option(
            callback=_backend,
            autocompletion=backends.choices,
            metavar=f"<{'|'.join(backends.choices())}>",
            help="The sandbox; auto is Docker if an engine answers, else the process jail.",
        ),
    ] = backends.AUTO,
    force: Annotated[
        bool, typer.Option("--force", help="Re-grade even what is unchanged.")
    ] = False,
    timeout: Annotated[
        float, typer.Option(help="Wall-clock seconds for one submission's week.")
    ] = 600,
    limit: Annotated[
        list[str] | None,
        typer.Option(
            help="A limit NAME=VALUE (repeatable): memory_mb, cpus, processes, file_mb, "
            "scratch_mb, output_kb, check_seconds, repo_mb, tree_files, tree_mb, unpack_seconds."
        ),
    ] = None,
    image: Annotated[
        str | None, typer.Option(help="kubernetes: the grading image the pods run (pushed).")
    ] = None,
    collect: Annotated[
        Path | None, typer.Option(help="kubernetes: read the Job's results from this folder.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Grade a class's repositories for some weeks, isolated, into a gradebook and a report."""
    from mlops_roadmap import render_grades
    from mlops_roadmap.commands.grade import grade as do_grade
    from mlops_roadmap.commands.grade import make_request

    c = load_course()
    request = make_request(c, roster, week, deadline or [], jobs, out, force, timeout, limit or [])
    with render_grades.grading_progress(not as_json) as on_graded:
        graded = do_grade(c, request, backend, on_graded, image=image, collect=collect)
    if as_json:
        from mlops_roadmap.grading.grades_json import class_json

        print_json(class_json(graded.grades))
    else:
        render_grades.summary(graded.grades, graded.files, graded.bundle)
