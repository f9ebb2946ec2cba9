"""The one place a command's end becomes an exit code: a ``RoadmapError`` is printed without a
traceback (exit 1, or its own code), a usage error exits 2, Ctrl-C 130, and SIGTERM or SIGHUP
(a closed terminal, `timeout`, a cancelled CI job, `docker stop`) are handled as Ctrl-C is, then
exit 128 + the signal. Under ``--json`` (or ``--format json``) an error is also printed on stdout
as ``{"error": message, "exit_code": code}``. Any other exception is a bug and keeps its
traceback.
"""

from __future__ import annotations

import contextlib
import errno
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType

from mlops_roadmap.errors import RoadmapError

STOPPING = (signal.SIGTERM, signal.SIGHUP)
USAGE = 2


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: unwound as Ctrl-C is, so everything started is stopped."""


class _Signals:
    received: int | None = None


def _stop(signum: int, frame: FrameType | None) -> None:
    if _Signals.received is None:  # later ones must not break off the clean-up
        _Signals.received = signum
        raise Stopped(signal.Signals(signum).name)


def _note(signum: int, frame: FrameType | None) -> None:
    _Signals.received = _Signals.received or signum


def install() -> None:
    """Handle SIGTERM and SIGHUP like Ctrl-C (once: a second one does not cut the clean-up)."""
    for signum in STOPPING:
        if signal.getsignal(signum) is not signal.SIG_IGN:  # nohup asked to ignore SIGHUP
            signal.signal(signum, _stop)


def wants_json(args: Sequence[str]) -> bool:
    """Whether the command line asks for JSON (then errors are JSON on stdout too)."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg in ("--json", "--format=json") or (
            arg == "--format" and args[i + 1 : i + 2] == ["json"]
        ):
            return True
    return False


def run(app: Callable[..., object], args: Sequence[str] | None = None) -> int:
    """Run the Typer ``app`` and return its exit code (never raises a ``RoadmapError``)."""
    import typer

    argv = list(sys.argv[1:] if args is None else args)
    install()
    try:
        code = app(args=argv, prog_name="mlops-roadmap", standalone_mode=False)
    except RoadmapError as exc:
        code = report(str(exc), exc.exit_code, [] if exc.in_output else argv)
    except typer.TyperException as exc:  # a usage error: Typer's own message, and its usage
        show = getattr(exc, "show", None)
        with contextlib.suppress(OSError):
            show() if show else report(exc.format_message(), exc.exit_code, [])
        code = report(exc.format_message(), exc.exit_code, argv, printed=True)
    except typer.Abort:
        code = report("aborted", 1, argv)
    except KeyboardInterrupt:  # one that arrived outside the command (Typer maps the rest)
        code = 130
    except OSError as exc:
        if exc.errno != errno.EPIPE:  # stdout closed early (`| head`): nothing more to say
            raise
        code = 1
    finally:
        for signum in STOPPING:  # the command is over: a late signal is noted, not raised
            if signal.getsignal(signum) is _stop:
                signal.signal(signum, _note)
    code = code if isinstance(code, int) else 0
    if _Signals.received is not None:
        code = 128 + _Signals.received
    return code


def report(message: str, code: int, argv: Sequence[str], printed: bool = False) -> int:
    """Print an error (on stderr; also as JSON on stdout under --json); its exit code."""
    with contextlib.suppress(OSError):  # a closed terminal (SIGHUP) has no one to tell
        if not printed:
            from mlops_roadmap import render

            render.error(message)
        if wants_json(argv):
            from mlops_roadmap.cli_options import print_json

            print_json({"error": message, "exit_code": code})
    return code


def stopped_by() -> int | None:
    """The signal (SIGTERM, SIGHUP) that stopped this run, if any."""
    return _Signals.received


def flush() -> None:
    """Flush stdout and stderr now; one that is gone (a hung-up terminal, a reader that left) is
    pointed at /dev/null, so the interpreter's own flush at exit has nothing to complain about."""
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
