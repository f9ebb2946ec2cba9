"""A learner's script run "from a clean start": in fresh copies of the week folder without the
outputs it must make, in the learner's interpreter, with a time limit.

Checks that judge meaning run the script more than once (on the shipped data and on copies whose
data the check changed), so ``run_clean_all`` runs it in several copies at once: one driver
process in the learner's interpreter starts them side by side and reports how each ended. The
driver goes through ``run`` like any command, so a timeout or Ctrl-C kills it and every copy's
run with it (they share its process group).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mlops_roadmap.checking import blocked, expect
from mlops_roadmap.fixtures import CleanCopy, Run

MARKER = "CLEAN-RUNS-JSON:"
TAIL_LINES = 8
# Runs in the learner's interpreter: SCRIPT in each FOLDER at once, each within TIMEOUT seconds;
# of each run's output only the last 64 KB are kept (a flood of output cannot fill memory).
# Where the system can fork and PRELOAD names modules, the driver imports them once and forks a
# child per folder that runs SCRIPT as `python SCRIPT` would (argv, sys.path[0], __main__,
# __file__, exit status, traceback): the copies do not pay for importing pandas or scikit-learn
# each. Elsewhere (Windows) each run is a `python SCRIPT` of its own.
DRIVER = """
import importlib, json, os, runpy, subprocess, sys, threading, time
marker, timeout, script = sys.argv[1], float(sys.argv[2]), sys.argv[3]
preload, folders = [m for m in sys.argv[4].split(",") if m], sys.argv[5:]
fork = hasattr(os, "fork") and bool(preload)

def drain(pipe, kept):
    for chunk in iter(lambda: pipe.read1(65536), b""):
        kept += chunk
        del kept[:-65536]

def run_here(folder, write, inherited):
    for fd in inherited:
        os.close(fd)
    os.dup2(write, 1)
    os.dup2(write, 2)
    os.close(write)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.chdir(folder)
    sys.argv, sys.path[0] = [script], folder
    try:
        runpy.run_path(os.path.join(folder, script), run_name="__main__")
    except SystemExit as exc:
        sys.exit(exc.code)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        sys.exit(1)
    sys.exit(0)

class Forked:
    def __init__(self, folder, inherited):
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            run_here(folder, write, [read, *inherited])
        os.close(write)
        self.fd, self.stdout = read, os.fdopen(read, "rb")

    def wait(self, timeout=None):
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            done, status = os.waitpid(self.pid, 0 if end is None else os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() >= end:
                raise subprocess.TimeoutExpired(script, timeout)
            time.sleep(0.05)

    def kill(self):
        os.kill(self.pid, 9)

if fork:
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    sys.stdout.flush()
    sys.stderr.flush()
started = []
for folder in folders:
    if fork:
        proc = Forked(folder, [p.fd for _, p in started])
    else:
        proc = subprocess.Popen([sys.executable, script], cwd=folder, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    started.append((folder, proc))
readers = []
for folder, proc in started:
    kept = bytearray()
    reader = threading.Thread(target=drain, args=(proc.stdout, kept), daemon=True)
    reader.start()
    readers.append((folder, proc, kept, reader))
deadline, answer = time.monotonic() + timeout, {}
for folder, proc, kept, reader in readers:
    try:
        code, late = proc.wait(timeout=max(deadline - time.monotonic(), 0.01)), False
    except subprocess.TimeoutExpired:
        proc.kill()
        code, late = proc.wait(), True
    reader.join(timeout=5)
    text = bytes(kept).decode("utf-8", errors="replace")
    answer[folder] = {"returncode": code, "timed_out": late, "output": text}
print(marker + json.dumps(answer))
"""


@dataclass(frozen=True)
class CleanRun:
    """What one clean-start run of ``script`` did."""

    script: str
    folder: Path  # the fresh copy it ran in
    returncode: int
    timed_out: bool
    output_tail: str
    timeout: float
    inputs_before: dict[str, str] = field(default_factory=dict)  # sha256 by path, when watched
    inputs_after: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def problem(self) -> str:
        """What went wrong, for a check's message."""
        if self.timed_out:
            return f"still running after {self.timeout:g} s, so it was stopped"
        return f"exit status {self.returncode}:\n{self.output_tail}"


def tree_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path."""
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:]) or "(no output)"


def run_clean_all(
    run: Run,
    python: Path,
    script: str,
    folders: Mapping[str, Path],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    inputs: str | None = None,
    preload: Sequence[str] = (),
) -> dict[str, CleanRun]:
    """Run ``python script`` in each prepared copy at once (``folders``: name to copy), each
    within ``timeout``; ``inputs`` (a folder of each copy) is hashed before and after, so a
    check can see whether the run changed it. ``preload``: modules the script will surely
    import (pandas, scikit-learn), imported once for all the copies where the system forks."""
    before = {name: tree_hashes(f / inputs) if inputs else {} for name, f in folders.items()}
    missing = f"{script} is missing from the week folder"
    runs = {
        name: CleanRun(script, f, 2, False, missing, timeout, before[name], before[name])
        for name, f in folders.items()
        if not (f / script).is_file()
    }
    todo = {name: f for name, f in folders.items() if name not in runs}
    if not todo:
        return runs
    full_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    args = [python, "-c", DRIVER, MARKER, str(timeout), script, ",".join(preload)]
    args += [str(folder) for folder in todo.values()]
    result = run(args, timeout=timeout + 30, env=full_env)
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(MARKER)]
    answer = json.loads(lines[-1][len(MARKER) :]) if lines else {}
    for name, folder in todo.items():
        ended = answer.get(str(folder))
        after = tree_hashes(folder / inputs) if inputs else {}
        if ended is None:  # the driver itself was stopped, or could not start
            late = result.timed_out
            code, text = (-9 if late else result.returncode), result.tail(TAIL_LINES)
        else:
            late, code, text = ended["timed_out"], ended["returncode"], tail(ended["output"])
        runs[name] = CleanRun(script, folder, code, late, text, timeout, before[name], after)
    return runs


def run_clean(
    run: Run,
    clean_copy: CleanCopy,
    python: Path,
    script: str,
    *,
    outputs: Sequence[str],
    timeout: float,
    env: Mapping[str, str] | None = None,
    inputs: str | None = None,
) -> CleanRun:
    """Run ``python script`` once, in a copy without ``outputs`` (see ``run_clean_all``)."""
    folder = clean_copy(*outputs)
    return run_clean_all(
        run, python, script, {"copy": folder}, timeout=timeout, env=env, inputs=inputs
    )["copy"]


def finished(clean: CleanRun, what: str) -> CleanRun:
    """The run, or the check is blocked because it did not finish (``what`` it would inspect)."""
    if not clean.ok:
        blocked(
            f"{clean.script} did not finish from a clean start, so its {what} cannot be inspected",
            hint=f"Make the check '{clean.script} runs from a clean start' pass first.",
        )
    return clean


def expect_ran(clean: CleanRun, expected: str, hint: str) -> None:
    """The check "SCRIPT runs from a clean start": fail with how it ended unless it exited 0."""
    expect(clean.ok, expected=expected, found=clean.problem, hint=hint)
