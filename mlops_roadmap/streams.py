"""Keeping standard output for the command's own result while checks run.

Under `check --json` (or any ``--format`` printed on stdout) stdout must carry the report alone,
but checks run in this process and the learner's commands inherit its descriptors: whatever
they print is sent to stderr instead, at the descriptor level, for the length of the run.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def stdout_to_stderr(enabled: bool = True) -> Iterator[None]:
    """Point file descriptor 1 (and ``sys.stdout``) at stderr until the block ends."""
    if not enabled:
        yield
        return
    stream = sys.stdout
    with contextlib.suppress(OSError, ValueError):
        stream.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        sys.stdout = stream  # a check may have replaced it
        os.dup2(saved, 1)
        os.close(saved)
