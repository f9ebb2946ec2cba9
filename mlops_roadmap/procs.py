"""Every subprocess the engine or a check starts goes through here.

Each command runs in its own process group with a timeout; on timeout, on any exception and on
Ctrl-C the whole group is killed, so nothing the learner's code started outlives the check
(``contain`` catches what leaves the group, and what outlives a killed CLI).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mlops_roadmap import contain, proctable

OUTPUT_CAP = 1_000_000  # bytes kept of each stream
_LIVE: set[subprocess.Popen[bytes]] = set()  # every command running now, from any thread
_LIVE_LOCK = threading.Lock()


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


class _Reader(threading.Thread):
    """Drains one pipe, keeping at most OUTPUT_CAP bytes (a flood of output cannot fill memory)."""

    def __init__(self, pipe: BinaryIO) -> None:
        super().__init__(daemon=True)
        self.pipe = pipe
        self.chunks: list[bytes] = []
        self.kept = self.dropped = 0

    def run(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            while chunk := self.pipe.read1(65536):  # type: ignore[attr-defined]
                room = OUTPUT_CAP - self.kept
                self.chunks.append(chunk[:room])
                self.kept += min(room, len(chunk))
                self.dropped += max(0, len(chunk) - room)

    def text(self) -> str:
        text = b"".join(self.chunks).decode("utf-8", errors="replace")
        if self.dropped:
            text += f"\n[... output cut: {self.dropped} more bytes]"
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
    with contain.LOCK:  # started and tracked at once: a reap never mistakes it for an orphan
        try:
            proc = subprocess.Popen(
                argv,
                cwd=None if cwd is None else Path(cwd),
                env=contain.environment(env),
                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                preexec_fn=contain.child_setup(),
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return ProcessResult(argv, 127, "", f"cannot start {argv[0]}: {exc}", 0.0, False)
        with _LIVE_LOCK:
            _LIVE.add(proc)
    contain.started(proc.pid)
    readers = [_Reader(proc.stdout), _Reader(proc.stderr)]  # type: ignore[arg-type]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        if input is not None:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.write(input.encode())  # type: ignore[union-attr]
                proc.stdin.close()  # type: ignore[union-attr]
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        # Done, timed out or interrupted: whatever the command left in its group goes too.
        kill_group(proc)
        contain.stopped(proc.pid)
        with _LIVE_LOCK:
            _LIVE.discard(proc)
        _drain(readers)
    duration = time.monotonic() - start
    code = -9 if timed_out else proc.returncode
    return ProcessResult(argv, code, readers[0].text(), readers[1].text(), duration, timed_out)


def _drain(readers: list[_Reader]) -> None:
    """Wait for the output to end; a process that left the group and still holds the output
    (a daemon that did not close it) is killed rather than waited on."""
    for reader in readers:
        reader.join(timeout=0.5)
    held = []
    for reader in readers:
        with contextlib.suppress(ValueError, OSError):  # a pipe already closed
            held += [reader.pipe.fileno()] if reader.is_alive() else []
    if held:
        proctable.kill_holders(held)
    for reader in readers:
        reader.join(timeout=5)


def live() -> set[int]:
    """The pids of the commands running now."""
    with _LIVE_LOCK:
        return {proc.pid for proc in _LIVE}


def kill_all() -> None:
    """Kill every command still running (all threads): Ctrl-C in one thread stops them all."""
    with _LIVE_LOCK:
        running = list(_LIVE)
    for proc in running:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
