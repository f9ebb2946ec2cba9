"""Every subprocess the engine or a check starts goes through here.

Each command runs in its own process group with a timeout; on timeout, on any exception and on
Ctrl-C the whole group is killed, so nothing the learner's code started outlives the check.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

OUTPUT_CAP = 1_000_000  # characters kept of each stream


@dataclass(frozen=True)
class ProcessResult:
    """What a finished (or killed) command did."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration: float
    timed_out: bool

    def tail(self, lines: int = 10) -> str:
        """The last lines of stderr and stdout together, for a failure message."""
        text = (self.stdout.rstrip() + "\n" + self.stderr.rstrip()).strip()
        return "\n".join(text.splitlines()[-lines:]) or "(no output)"


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the process group led by ``proc`` (the command and all it started)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.wait(timeout=5)


def _decode(data: bytes | None) -> str:
    text = (data or b"").decode("utf-8", errors="replace")
    if len(text) > OUTPUT_CAP:
        return text[:OUTPUT_CAP] + f"\n[... output cut at {OUTPUT_CAP} characters]"
    return text


def run(
    args: Sequence[str | os.PathLike[str]],
    *,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 60,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
) -> ProcessResult:
    """Run a command to completion or timeout; never raises on a non-zero exit.

    A command that cannot start (missing program) gives returncode 127 and the reason in stderr.
    """
    argv = tuple(str(a) for a in args)
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=None if cwd is None else Path(cwd),
            env=None if env is None else dict(env),
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        return ProcessResult(argv, 127, "", f"cannot start {argv[0]}: {exc}", 0.0, False)
    timed_out = False
    try:
        out, err = proc.communicate(None if input is None else input.encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_group(proc)
        out, err = proc.communicate()
    except BaseException:
        kill_group(proc)
        raise
    else:
        # The command finished; anything it left behind in its group goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    duration = time.monotonic() - start
    code = -9 if timed_out else proc.returncode
    return ProcessResult(argv, code, _decode(out), _decode(err), duration, timed_out)
