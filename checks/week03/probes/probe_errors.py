"""What the DVC probes say of an exception (run in the learner's interpreter; stdlib only)."""

from __future__ import annotations


def describe(exc: BaseException | None) -> str:
    """An exception and its causes, one line each (DVC wraps the useful part in __cause__)."""
    parts, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        text = str(exc).strip()
        parts.append(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)
        exc = exc.__cause__ or exc.__context__
    return " <- ".join(parts)
