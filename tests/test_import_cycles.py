"""Every module of the package imports, and no two of its modules import each other, directly or
round a longer loop: a cycle makes import order matter and hides which module owns what.

Imports are read from each module's syntax tree, wherever they are (a function's lazy import
still closes a loop), except under ``if TYPE_CHECKING:``, which never runs.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import mlops_roadmap

PACKAGE = Path(mlops_roadmap.__file__).parent
NOT_IMPORTED = {"mlops_roadmap.__main__"}  # importing it runs the CLI


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Every module under ``root`` by dotted name (a package by its own name)."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if "_course" in parts:  # a bundled course's checks are not the engine
            continue
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        names[".".join((package, *parts))] = path
    return names


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported(path: Path, known: set[str]) -> set[str]:
    """The known modules ``path`` imports (``from a import b`` counts ``a.b`` when a module)."""
    found: set[str] = set()
    stack: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
        stack.extend(ast.iter_child_nodes(node))
    return {name for name in found if name in known}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One loop through each group of modules that import one another (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    names = module_names(root, package)
    return {name: imported(path, set(names)) - {name} for name, path in names.items()}


def test_every_module_imports() -> None:
    for name in module_names(PACKAGE, "mlops_roadmap"):
        if name not in NOT_IMPORTED:
            importlib.import_module(name)


def test_no_module_imports_itself_round_a_loop() -> None:
    assert cycles(import_graph(PACKAGE, "mlops_roadmap")) == []


@pytest.mark.parametrize(
    ("sources", "loops"),
    [
        ({"a": "from pkg import b\n", "b": "def f():\n    import pkg.a\n"}, [["pkg.a", "pkg.b"]]),
        (
            {"a": "from pkg.b import x\n", "b": "from pkg.c import y\n", "c": "import pkg.a\n"},
            [["pkg.a", "pkg.b", "pkg.c"]],
        ),
        (
            {
                "a": "from pkg import b\n",
                "b": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n",
            },
            [],
        ),
    ],
)
def test_the_detector_finds_loops(
    tmp_path: Path, sources: dict[str, str], loops: list[list[str]]
) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, text in sources.items():
        (pkg / f"{name}.py").write_text(text)
    assert cycles(import_graph(pkg, "pkg")) == loops
