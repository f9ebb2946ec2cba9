"""What a check may not do to the run it is part of: run past its time limit (loading included),
or end the whole process.

Checks run in the CLI's own process, so the limits are enforced there: a ``SIGALRM`` timer raises
``CheckTimeout`` in the main thread (limits nest: the sooner one wins), and while checks run,
``os._exit`` or ``os.exec*`` in the CLI's process raises ``CheckEscaped`` instead of ending the
run with the check's exit status. Both are ``BaseException``s, so a check cannot swallow them
with ``except Exception``. (libc's ``_exit`` called through ctypes is beyond reach here: only
grading's jail contains that.)
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, NoReturn

LOAD_TIMEOUT = 120.0  # seconds to import one check module or conftest
LOAD_ENV = "MLOPS_ROADMAP_LOAD_TIMEOUT"


class CheckTimeout(BaseException):
    """Raised in a check past its time limit (a BaseException, so checks cannot swallow it)."""


class CheckEscaped(BaseException):
    """Raised in a check that tried to end or replace the whole process (``os._exit``,
    ``os.exec*``)."""


def load_limit(check_limit: float | None = None) -> float:
    """Seconds one check module (or conftest) may take to load: $MLOPS_ROADMAP_LOAD_TIMEOUT,
    else ``LOAD_TIMEOUT``, never more than ``check_limit``."""
    text = os.environ.get(LOAD_ENV, "").strip()
    try:
        limit = float(text) if text else LOAD_TIMEOUT
    except ValueError:
        limit = LOAD_TIMEOUT
    limit = limit if limit > 0 else LOAD_TIMEOUT
    return min(limit, check_limit) if check_limit is not None else limit


@contextmanager
def alarm(seconds: float, message: str) -> Iterator[None]:
    """Raise ``CheckTimeout(message)`` in the main thread after ``seconds``; inside an enclosing
    ``alarm`` that expires sooner, that one still does."""
    outer, _ = signal.getitimer(signal.ITIMER_REAL)
    if outer and outer <= seconds:
        yield  # the enclosing limit comes first and stays in force
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise CheckTimeout(message)

    previous = signal.signal(signal.SIGALRM, expire)
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:  # the enclosing limit, less the time spent here
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 1e-3))


@contextmanager
def no_exit() -> Iterator[None]:
    """While checks run: ``os._exit``, ``os.execv`` and ``os.execve`` (which the other
    ``os.exec*`` call) in this process raise ``CheckEscaped``; a forked child of a check still
    exits or execs as it asks."""
    me = os.getpid()
    real_exit, real_execv, real_execve = os._exit, os.execv, os.execve

    def refuse(what: str) -> NoReturn:
        raise CheckEscaped(f"the check called {what}, which would end the whole run")

    def exit_(status: int) -> NoReturn:
        if os.getpid() != me:
            real_exit(status)
        refuse(f"os._exit({status})")

    def execv(path: Any, args: Any) -> NoReturn:
        if os.getpid() != me:
            real_execv(path, args)
        refuse(f"os.execv({path!r}, ...)")

    def execve(path: Any, args: Any, env: Any) -> NoReturn:
        if os.getpid() != me:
            real_execve(path, args, env)
        refuse(f"os.execve({path!r}, ...)")

    os._exit, os.execv, os.execve = exit_, execv, execve  # type: ignore[assignment]
    try:
        yield
    finally:
        os._exit, os.execv, os.execve = real_exit, real_execv, real_execve
