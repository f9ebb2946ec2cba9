"""Reading the course's text files (roadmap.yaml, lessons, templates): bytes or UTF-8 text, or a
``RoadmapError`` that names the file, the line where it helps, and the fix."""

from __future__ import annotations

from pathlib import Path

from mlops_roadmap.errors import RoadmapError


def read_bytes(path: Path, what: str, fix: str) -> bytes:
    """The bytes of ``path`` (``what`` it is, for the message); missing, a folder or unreadable
    is a ``RoadmapError`` ending in ``fix``."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        problem = f"missing {what}"
    except IsADirectoryError:
        problem = f"a folder stands where the {what} should be"
    except OSError as exc:
        problem = f"cannot read the {what} ({exc.strerror or exc})"
    raise RoadmapError(f"{path}: {problem}: {fix}")


def decode(data: bytes, path: Path | str, fix: str) -> str:
    """``data`` as UTF-8 text; otherwise a ``RoadmapError`` naming the line and column of the
    first byte that is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = data[exc.start : exc.start + 1].hex()
        raise RoadmapError(
            f"{path}: line {line}, column {column}: not UTF-8 (byte 0x{byte}): {fix}"
        ) from None


def read_text(path: Path, what: str, fix: str) -> str:
    """``read_bytes`` decoded as UTF-8 (see ``decode``)."""
    return decode(read_bytes(path, what, fix), path, f"save it as UTF-8 ({fix})")
