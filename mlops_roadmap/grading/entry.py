"""What runs inside a grading sandbox: one week's checks on one submission, to a JSON file.

    python -I -m mlops_roadmap.grading.entry WEEK SUBMISSION RESULT [--check-seconds S]
        [--seal -|FILE]

Writes ``RunReport.to_json()`` to RESULT and exits 0 when the checks ran (whatever they found);
writes ``{"error": message}`` and exits 3 when they could not run. With ``--seal`` (from stdin,
or a file it deletes at once) the entry first makes itself non-dumpable, takes the grader's key
and held-out answers before anything of the submission's runs, and writes the verdict sealed
with that key (``grading.seal``): the submission can overwrite RESULT but not forge it. The same
entry point serves the process jail, the grading container and the Kubernetes pod, each started
by ``command``.

The checker never imports from the submission. Started isolated (``-I``: no script or working
folder on the path, no ``PYTHON*`` variables, no user site) from a folder outside it, Python
finds this package, pytest and every plugin in the grader's own environment, whatever the
submission holds (a package named ``mlops_roadmap``, ``sitecustomize.py``, ``.pth`` files);
pytest reads the engine's ``checks.ini`` and the course's conftests only (``runner``). The
submission's ``.venv`` is replaced by one the grader provides, so the learner's code runs on the
grader's packages too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlops_roadmap.grading.seal import Seal

CANNOT_RUN = 3
MODULE = "mlops_roadmap.grading.entry"
# Left out of the checker's environment: what could put the submission on a path or configure
# pytest (PYTEST_ADDOPTS, PYTEST_PLUGINS); these two only steer output and bytecode.
KEPT_PYTHON_ENV = ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")
ENVIRONMENTS = (".venv", "venv")  # the learner's, in the workspace or the week folder


def command(
    python: str | os.PathLike[str],
    week: str,
    submission: str | os.PathLike[str],
    result: str | os.PathLike[str],
    check_seconds: float,
    seal: str | None = None,
) -> list[str]:
    """The command a sandbox runs (from a folder outside the submission): ``python -I``;
    ``seal``: "-" (stdin) or a file path the grader's seal is read from."""
    args = [python, "-I", "-m", MODULE, week, submission, result, "--check-seconds", check_seconds]
    return [str(a) for a in [*args, *(["--seal", seal] if seal else [])]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -I -m {MODULE}")
    parser.add_argument("week", help="the week: 2, week02")
    parser.add_argument("submission", type=Path, help="the student's workspace (a copy)")
    parser.add_argument("result", type=Path, help="where to write the JSON verdict")
    parser.add_argument("--check-seconds", type=float, default=None)
    parser.add_argument("--seal", default=None, help="- (stdin) or a file: the grader's seal")
    args = parser.parse_args(argv)
    args.result = args.result.absolute()  # the checks run from the submission folder
    root = args.submission.resolve()
    isolate(root)
    from mlops_roadmap import answers, course, runner, venvs
    from mlops_roadmap.errors import RoadmapError

    seal: Seal | None = None
    try:
        if args.seal:
            seal = take_seal(args.seal)
            answers.provide(seal.held_out)
        loaded = course.load(None)
        week = loaded.plan.week(int(str(args.week).lower().removeprefix("week")))
        for folder in (root, root / week.folder):
            discard_environments(folder)
        venvs.layered(root / ".venv")  # before entering the submission: `-m venv` reads its cwd
        os.chdir(root)
        report = runner.run_week(
            loaded, week, root, root / week.folder, check_limit=args.check_seconds
        )
        answer: dict[str, object] = report.to_json()
        code = 0
    except (RoadmapError, ValueError, OSError) as exc:
        answer, code = {"error": str(exc)}, CANNOT_RUN
    text = json.dumps(answer)
    if seal is not None:
        text = json.dumps(seal.sign(text))
    try:
        args.result.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.result.with_name(args.result.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(args.result)
    except PermissionError:  # a jail's results folder: only the verdict file itself is writable
        args.result.write_text(text, encoding="utf-8")
    return code


def take_seal(source: str) -> Seal:
    """The grader's seal, taken before anything of the submission's runs: this process becomes
    non-dumpable (its memory, environment and open files closed to the submission's processes,
    which run as the same user), then reads the seal from stdin (closed after) or from a file
    (deleted after), so no later process can read it."""
    from mlops_roadmap.grading.seal import Seal

    nondumpable()
    if source == "-":
        text = sys.stdin.read()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
    else:
        path = Path(source)
        text = path.read_text(encoding="utf-8")
        path.unlink()
    return Seal.from_text(text)


def nondumpable() -> None:
    """prctl(PR_SET_DUMPABLE, 0): /proc/<pid>/mem, environ and fd of this process become
    root's, and ptrace needs CAP_SYS_PTRACE; children that exec a program are dumpable again."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(4, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "cannot make the checker non-dumpable")


def isolate(submission: Path) -> None:
    """What ``-I`` leaves to this process: the path holds nothing of the submission's (the
    working folder, '', becomes the submission), and nothing in the environment points the
    learner's processes or pytest at its files."""
    sys.path[:] = [p for p in sys.path if p and not Path(p).resolve().is_relative_to(submission)]
    for name in list(os.environ):
        if name.startswith(("PYTHON", "PYTEST_")) and name not in KEPT_PYTHON_ENV:
            del os.environ[name]


def discard_environments(folder: Path) -> None:
    """Remove the virtual environments a submission ships (the grader provides the packages)."""
    from mlops_roadmap.errors import RoadmapError

    for path in (folder / name for name in ENVIRONMENTS):
        try:
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
        except OSError as exc:
            why = f"{path}: cannot remove the submission's own environment: {exc}"
            raise RoadmapError(why) from exc


if __name__ == "__main__":
    sys.exit(main())
