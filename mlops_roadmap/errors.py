"""The one error type a user ever sees."""

from __future__ import annotations

COURSE_BUG = "a course bug: report it to the course author"


class RoadmapError(Exception):
    """Something the user can fix: the message says what is wrong and what to do next.

    The CLI's entry point prints it without a traceback and exits with ``exit_code`` (1). Any
    other exception is a bug.
    """

    exit_code = 1
    in_output = False  # the command's JSON output already carries it: not printed as JSON again


class NoChecks(RoadmapError):
    """The week has no automated checks yet: nothing failed, there is nothing to run (exit 3)."""

    exit_code = 3


def clip(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters (a message quoting a long value stays readable)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def brief(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to about ``limit`` characters, for messages: a YAML alias bomb's
    nested lists or a number of thousands of digits is never written out whole."""
    import reprlib

    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return f"a number of about {int(value.bit_length() * 0.30103)} digits"
    shorter = reprlib.Repr()
    shorter.maxlevel, shorter.maxstring, shorter.maxother, shorter.maxlong = 3, limit, limit, 40
    shorter.maxlist = shorter.maxtuple = shorter.maxdict = shorter.maxset = 6
    try:
        text = shorter.repr(value)
    except ValueError:  # a huge number inside a list
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def write_fix(exc: OSError, folder: object) -> str:
    """What to do about ``exc``, met writing into ``folder``: free space, or give access."""
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "the disk is full: free some space, then run the command again"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"{folder} is read-only or not yours: give yourself write access "
            f"(`chmod u+w {folder}`), then run the command again"
        )
    return "check the disk, then run the command again"
