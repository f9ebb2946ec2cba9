"""Every command has help text and appears in the README."""

from __future__ import annotations

import re

import pytest
import typer.main

from mlops_roadmap.cli import app
from tests.conftest import REPO

README = (REPO / "README.md").read_text()


def commands() -> list[tuple[str, object]]:
    group = typer.main.get_command(app)
    out = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        subs = getattr(cmd, "commands", None)
        if subs:
            out += [(f"{name} {sub}", c) for sub, c in subs.items()]
        else:
            out.append((name, cmd))
    return out


@pytest.mark.parametrize(("name", "command"), commands())
def test_command_has_help_and_is_documented(name: str, command: object) -> None:
    assert (getattr(command, "help", "") or "").strip(), f"{name} has no help text"
    assert re.search(rf"`mlops-roadmap {name}\b", README), f"{name} is not in README.md"


def test_readme_names_the_two_commands_and_ci_runs_the_test_one() -> None:
    assert "scripts/demo.sh" in README and "scripts/test.sh" in README
    assert "scripts/test.sh" in (REPO / ".ci" / "run").read_text()
