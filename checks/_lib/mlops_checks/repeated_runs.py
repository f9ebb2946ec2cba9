"""A learner's script run several times, one after another, in one interpreter.

Some libraries take most of a script's time to import (Evidently: 10-25 s of CPU, more than a
minute of wall time on a loaded 2-CPU grader), so a check that needs five runs of the same
script would pay that five times over. Here one driver process in the learner's interpreter
runs the script as ``python SCRIPT ARGS`` would (``runpy`` as ``__main__``, ``sys.argv`` set,
its folder first on ``sys.path``, ``SystemExit`` read as the exit status) once per planned run,
so the imports are paid once. An exception the script lets escape is recorded as a crash with
its traceback, never taken for exit status 1. Before each run the files it must write afresh
are removed; after it, the files the check reads are copied aside, so each run is judged on
its own outputs. The libraries the week needs are imported first (``preload``), which is
also the week's import check. The driver goes through ``run``: a timeout or Ctrl-C stops it,
and the script with it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlops_roadmap.fixtures import Run

MARKER = "REPEATED-RUNS-JSON:"
KEPT = "runs"  # beside the folder: runs/<name>/<file> holds each run's copies
DRIVER = r"""
import contextlib, importlib, io, json, os, runpy, shutil, sys, time, traceback
marker, script, plan, preload = sys.argv[1], sys.argv[2], *map(json.loads, sys.argv[3:5])
folder = os.getcwd()
sys.path.insert(0, folder)
answer, missing = {}, []
for module in preload:
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            importlib.import_module(module)
    except Exception as exc:
        missing.append(f"{module} ({type(exc).__name__}: {exc})")
for item in plan:
    for name in item["fresh"]:
        if os.path.isfile(name):
            os.remove(name)
    out, code, crash = io.StringIO(), 0, ""
    sys.argv = [script, *item["args"]]
    started = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        if isinstance(exc.code, int) or exc.code is None:
            code = exc.code or 0
        else:
            out.write(f"{exc.code}\n")
            code = 1
    except BaseException:
        code, crash = 1, traceback.format_exc(limit=-6)
    seconds = time.perf_counter() - started
    os.chdir(folder)
    kept = os.path.join(item["kept"], "")
    os.makedirs(kept, exist_ok=True)
    for name in item["keep"]:
        if os.path.isfile(name):
            shutil.copyfile(name, os.path.join(kept, os.path.basename(name)))
    text = out.getvalue()[-65536:]
    answer[item["name"]] = {"returncode": code, "crash": crash, "output": text, "seconds": seconds}
print(marker + json.dumps({"imports": missing, "runs": answer}))
"""


@dataclass(frozen=True)
class Planned:
    """One run to make: its name (for messages) and the arguments after the script."""

    name: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class ScriptRun:
    """How one run ended, and where the copies of the files it wrote are."""

    name: str
    args: tuple[str, ...]
    returncode: int
    crash: str  # the traceback of an exception the script let escape, else ""
    output: str  # what it printed, stdout and stderr together (the last 64 KB)
    kept: Path  # runs/<name>/: copies of the files the check reads
    seconds: float

    @property
    def crashed(self) -> bool:
        return bool(self.crash)

    def tail(self, lines: int = 6) -> str:
        text = (self.crash or self.output).strip().splitlines()[-lines:]
        return "\n".join(text) or "(no output)"


@dataclass(frozen=True)
class Session:
    """All the planned runs, or why the driver itself did not report them."""

    runs: Mapping[str, ScriptRun]
    import_errors: list[str]  # the preloaded modules that did not import, each with its error
    problem: str  # "" when every run reported


def run_repeatedly(
    run: Run,
    python: Path,
    folder: Path,
    script: str,
    plan: Sequence[Planned],
    *,
    fresh: Sequence[str],
    keep: Sequence[str],
    preload: Sequence[str] = (),
    timeout: float,
    env: Mapping[str, str] | None = None,
) -> Session:
    """Run ``python script ARGS`` in ``folder`` once per planned run, in one interpreter;
    ``fresh`` files are removed before each run, ``keep`` files copied aside after it."""
    kept = folder.parent / KEPT
    items = [
        {
            "name": p.name,
            "args": list(p.args),
            "fresh": list(fresh),
            "keep": list(keep),
            "kept": str(kept / p.name),
        }
        for p in plan
    ]
    full_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    args = [python, "-c", DRIVER, MARKER, script, json.dumps(items), json.dumps(list(preload))]
    result = run(args, cwd=folder, timeout=timeout, env=full_env)
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(MARKER)]
    if not lines:
        why = f"still running after {timeout:g} s, so it was stopped" if result.timed_out else ""
        return Session({}, [], why or f"exit status {result.returncode}: {result.tail(8)}")
    answer = json.loads(lines[-1][len(MARKER) :])
    done = answer["runs"]
    runs = {
        p.name: ScriptRun(
            p.name,
            p.args,
            int(done[p.name]["returncode"]),
            str(done[p.name]["crash"]),
            str(done[p.name]["output"]),
            kept / p.name,
            float(done[p.name]["seconds"]),
        )
        for p in plan
    }
    return Session(runs, list(answer["imports"]), "")
