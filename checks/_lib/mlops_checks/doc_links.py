"""Where a Markdown file's local links lead, as GitHub resolves them in a repository: relative to
the file, ``/`` at the repository's root, ``#anchor`` to a heading (or an HTML id) of the target.

A link with a scheme (https:, mailto:) is external: nothing here reaches the network.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from mlops_checks import markdown_doc
from mlops_checks.markdown_doc import Doc, Link

SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")


@dataclass(frozen=True)
class Target:
    """A local link's destination: the path it names (None for ``#anchor`` alone) and anchor."""

    path: Path
    anchor: str


def external(target: str) -> bool:
    return bool(SCHEME.match(target))


def target(doc: Doc, link: Link, root: Path) -> Target | None:
    """The local destination of ``link`` in ``doc`` (None for an external or empty link)."""
    raw = link.target.strip()
    if not raw or external(raw):
        return None
    path_part, _, anchor = raw.partition("#")
    path_part = urllib.parse.unquote(path_part.split("?", 1)[0])
    if not path_part:
        return Target(doc.path, urllib.parse.unquote(anchor))
    base = root if path_part.startswith("/") else doc.path.parent
    return Target(Path(_normal(base / path_part.lstrip("/"))), urllib.parse.unquote(anchor))


def _normal(path: Path) -> str:
    """``path`` with ``..`` and ``.`` folded away, without following links (as a URL does)."""
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if len(parts) > 1:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return str(Path(*parts))


def inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def problem(doc: Doc, link: Link, root: Path, shown: Path) -> str | None:
    """Why a local link does not resolve inside the repository ``root`` (None when it does);
    ``shown`` is the folder messages name paths from."""
    dest = target(doc, link, root)
    if dest is None:
        return None
    where = f"{shown_path(doc.path, shown)} line {link.line}: ({link.target})"
    if not inside(dest.path, root):
        return f"{where} leads outside the repository, where a reader's clone has nothing"
    if not dest.path.exists():
        return f"{where}: no such file or folder {shown_path(dest.path, shown)}"
    if dest.anchor and dest.path.is_file() and dest.path.suffix.lower() == ".md":
        anchors = doc.anchors if dest.path == doc.path else markdown_doc.read(dest.path).anchors
        if dest.anchor.lower() not in {a.lower() for a in anchors}:
            name = shown_path(dest.path, shown)
            return f"{where}: {name} has no heading with the anchor #{dest.anchor}"
    return None  # an anchor into code or an image: GitHub's own rendering decides


def shown_path(path: Path, shown: Path) -> str:
    try:
        return path.relative_to(shown).as_posix() or "."
    except ValueError:
        return str(path)
