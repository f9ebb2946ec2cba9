"""A learner's server under test: started on a free loopback port, probed until ready, stopped.

The server runs in its own process group (so workers it spawns go too), its output goes to a
file (so a chatty server never blocks on a full pipe), and it is always stopped: on success, on
failure and on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mlops_roadmap import contain

IN_USE = "address already in use"
OUTPUT_KEPT = 65536


class ServerFailed(Exception):
    """The server did not start or never became ready; ``tail`` holds its last output and
    ``output`` all of it (at most its last ``OUTPUT_KEPT`` characters); ``returncode`` is its
    exit status when it exited, and ``url`` where it was to answer."""

    def __init__(
        self, message: str, tail: str, returncode: int | None = None, url: str = ""
    ) -> None:
        super().__init__(message)
        self.tail = tail
        self.output = ""
        self.returncode = returncode
        self.url = url


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running server: its base URL, and its output so far."""

    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    started: float = field(default_factory=time.monotonic)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self, lines: int = 15) -> str:
        """The last lines of output, led by the last error line when it scrolled out of them
        (servers such as MLflow's print the cause well before their final lines)."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        every = text.rstrip().splitlines()
        last = every[-lines:]
        errors = [line for line in every[:-lines] if "Error" in line or "Exception" in line]
        if errors:
            last = [errors[-1], "[...]", *last]
        return "\n".join(last) or "(no output)"

    def output(self) -> str:
        """Everything the server wrote so far (at most its last ``OUTPUT_KEPT`` characters)."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return text[-OUTPUT_KEPT:]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """Stop the whole process group: SIGTERM, a grace period, then SIGKILL for what is left."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # workers that outlived their parent
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        contain.stopped(self.proc.pid)
        self.log.unlink(missing_ok=True)


Ready = Callable[[Server], bool]  # True once the server serves


def answers(path: str = "/health", status: int | None = None) -> Ready:
    """Ready once ``GET path`` answers ``status`` (any status below 500 when None)."""

    def probe(server: Server) -> bool:
        try:
            with urllib.request.urlopen(server.url + path, timeout=2) as answer:
                return status is None or answer.status == status
        except urllib.error.HTTPError as exc:
            return exc.code == status if status is not None else exc.code < 500
        except OSError:
            return False

    probe.__doc__ = f"GET {path}" + (f" with {status}" if status is not None else "")
    return probe


def start(
    args: Sequence[str | os.PathLike[str]],
    *,
    ready_path: str = "/health",
    ready: Ready | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    port: int | None = None,
) -> Server:
    """Start ``args`` (``{port}`` in any argument becomes the chosen port) and wait until it is
    ready: ``ready(server)`` is true, by default once ``GET ready_path`` answers below 500.
    When the port was chosen here and another program took it first, a second port is tried.
    Raises ``ServerFailed`` (server already stopped)."""
    probe = ready or answers(ready_path)
    try:
        return _start(args, probe, cwd, env, timeout, port)
    except ServerFailed as failed:
        if port is not None or IN_USE not in failed.tail.lower():
            raise
    return _start(args, probe, cwd, env, timeout, None)


def _start(
    args: Sequence[str | os.PathLike[str]],
    ready: Ready,
    cwd: Path | None,
    env: Mapping[str, str] | None,
    timeout: float,
    port: int | None,
) -> Server:
    port = port or free_port()
    log = Path(tempfile.mkstemp(prefix="server-", suffix=".log")[1])
    argv = [str(a).replace("{port}", str(port)) for a in args]
    with log.open("wb") as out, contain.LOCK:
        try:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=contain.environment(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=contain.child_setup(),
            )
        except (OSError, subprocess.SubprocessError) as exc:
            log.unlink(missing_ok=True)
            raise ServerFailed(f"cannot start {argv[0]}: {exc}", "") from None
    contain.started(proc.pid)
    server = Server(port, proc, log)
    try:
        _wait_ready(server, ready, timeout)
    except ServerFailed as failed:
        failed.output = server.output()
        server.stop()
        raise
    except BaseException:
        server.stop()
        raise
    return server


def _wait_ready(server: Server, ready: Ready, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            code = server.proc.returncode
            raise ServerFailed(
                f"the server exited with status {code} before it was ready",
                server.tail(),
                code,
                server.url,
            )
        if ready(server):
            return
        time.sleep(0.2)
    what = ready.__doc__ or "its readiness probe"
    raise ServerFailed(
        f"the server did not answer {what} on {server.url} within {timeout:g} s",
        server.tail(),
        url=server.url,
    )
