"""The course side is a library: checks import shared code by name, never by file path, and no
week reaches out of its own folder (what weeks share lives in checks/_lib)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHECKS = REPO / "checks"
WEEK_FOLDER = re.compile(r"week\d\d")


def check_sources() -> list[Path]:
    """Every Python file of the weeks' checks (data-making tools under data/ aside)."""
    return sorted(
        p for p in CHECKS.glob("week*/**/*.py") if "data" not in p.relative_to(CHECKS).parts
    )


def test_there_are_check_sources_to_inspect() -> None:
    assert len(check_sources()) > 30


@pytest.mark.parametrize("path", check_sources(), ids=lambda p: str(p.relative_to(CHECKS)))
def test_no_check_loads_code_by_path_or_leaves_its_week(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "spec_from_file_location" not in text, "load shared code from checks/_lib by name"
    assert "module_from_spec" not in text
    own = path.relative_to(CHECKS).parts[0]
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("parent", "parents"):
            inner = node.value
            assert not (isinstance(inner, ast.Attribute) and inner.attr == "parent"), (
                f"{path.name}:{node.lineno}: reaches above its week folder"
            )
            assert node.attr != "parents", f"{path.name}:{node.lineno}: reaches above its folder"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            others = {w for w in WEEK_FOLDER.findall(node.value) if w != own}
            paths = [w for w in others if f"/{w}" in node.value or f"{w}/" in node.value]
            assert not paths, f"{path.name}:{node.lineno}: names another week's folder {paths}"


def test_weeks_import_shared_fixtures_through_pytest_plugins() -> None:
    users = [p for p in CHECKS.glob("week*/conftest.py") if "pytest_plugins" in p.read_text()]
    assert {p.parent.name for p in users} >= {"week09", "week10", "week11"}
    for conftest in users:
        tree = ast.parse(conftest.read_text())
        plugins = [
            node.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets)
        ]
        names = [elt.value for p in plugins for elt in getattr(p, "elts", [])]
        assert names and all(n.startswith("mlops_checks.") for n in names)
        for name in names:
            assert (CHECKS / "_lib" / (name.replace(".", "/") + ".py")).is_file()
