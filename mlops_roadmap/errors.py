"""The one error type a user ever sees."""

from __future__ import annotations


class RoadmapError(Exception):
    """Something the user can fix: the message says what is wrong and what to do next.

    The CLI's entry point prints it without a traceback and exits with ``exit_code`` (1). Any
    other exception is a bug.
    """

    exit_code = 1


class NoChecks(RoadmapError):
    """The week has no automated checks yet: nothing failed, there is nothing to run (exit 3)."""

    exit_code = 3
