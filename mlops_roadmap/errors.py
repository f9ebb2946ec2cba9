"""The one error type a user ever sees."""

from __future__ import annotations


class RoadmapError(Exception):
    """Something the user can fix: the message says what is wrong and what to do next.

    The CLI's entry point prints it without a traceback and exits 1. Any other exception is a bug.
    """
