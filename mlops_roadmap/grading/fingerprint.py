"""Digests of files, for what must change when they do: the grading image's tag, and the key
under which the gradebook keeps a grade for reuse.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

SKIPPED = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "_course"}
ENGINE = Path(__file__).resolve().parent.parent  # the mlops_roadmap package


def files(root: Path, dest: str) -> Iterator[tuple[str, Path]]:
    """Every file under ``root`` (or ``root`` itself) as (its name under ``dest``, its path),
    in a stable order, caches left out; nothing when ``root`` does not exist."""
    if root.is_file():
        yield dest, root
        return
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not SKIPPED & set(rel.parts) and path.suffix != ".pyc":
            yield f"{dest}/{rel.as_posix()}", path


def engine_files() -> list[tuple[str, Path]]:
    """The engine's own files (a bundled course under ``_course`` is not the engine)."""
    return list(files(ENGINE, ENGINE.name))


def digest(named: Iterable[tuple[str, Path]], seed: bytes = b"") -> str:
    """One hex digest of every file's name and content."""
    total = hashlib.sha256(seed)
    for name, path in named:
        content = hashlib.sha256(path.read_bytes()).digest()
        total.update(name.encode() + b"\0" + content)
    return total.hexdigest()


@cache
def engine_digest() -> str:
    """The engine's source, once per process (it does not change while a class is graded)."""
    return digest(engine_files())
