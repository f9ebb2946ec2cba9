"""Week 23: the Makefile is how a reviewer runs the capstone. `make test` and `make lint` pass from
a clean copy of the week folder (no virtual environment, caches, models or tracking store
copied), in the learner's interpreter; `make help` lists the targets the lesson names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import MAKE_TIMEOUT, Make

from mlops_roadmap.checking import expect, expect_file, expect_none
from mlops_roadmap.fixtures import Run

TARGETS = ("test", "lint", "train", "up")
TAIL = 25
pytestmark = [pytest.mark.requires("make"), pytest.mark.timeout(MAKE_TIMEOUT + 120)]


def listed(output: str) -> set[str]:
    """The target names `make help` printed, one at the start of each line."""
    return {m.group(1) for m in re.finditer(r"(?m)^\s*([A-Za-z][\w.-]*)\b", output)}


@pytest.mark.points(1)
def test_make_help(run: Run, week_dir: Path) -> None:
    """`make help` lists the test, lint, train and up targets"""
    expect_file(week_dir, "Makefile", hint="Start from the scaffold's Makefile.")
    result = run(["make", "help"], cwd=week_dir, timeout=60)
    expect(
        result.returncode == 0,
        expected="`make help` to exit 0",
        found=f"exit status {result.returncode}: {result.tail(5)}",
        hint="Keep the scaffold's help target, which lists every target with a ## comment.",
    )
    missing = [t for t in TARGETS if t not in listed(result.stdout)]
    expect_none(
        [f"no {t}" for t in missing],
        expected=f"`make help` to list {', '.join(TARGETS)}, one target a line",
        hint="Give each target a `## what it does` comment on its line: `test:  ## run the tests`.",
    )


def expect_passes(target: str, make: Make, hint: str) -> None:
    result = make(target)
    status = "timed out" if result.timed_out else f"exit status {result.returncode}"
    expect(
        result.returncode == 0 and not result.timed_out,
        expected=f"`make {target}` to exit 0 in a clean copy of the week folder",
        found=f"{status}:\n{result.tail(TAIL)}",
        hint=hint,
    )


@pytest.mark.points(2)
def test_make_test(make: Make) -> None:
    """`make test` passes in a clean copy of the week folder"""
    expect_passes(
        "test",
        make,
        "Run `make test` from a fresh clone with the workspace .venv active: the target must "
        "make what the tests need (train the model first) and every test must pass.",
    )


@pytest.mark.points(1)
def test_make_lint(make: Make) -> None:
    """`make lint` passes in a clean copy of the week folder"""
    expect_passes(
        "lint",
        make,
        "Run `make lint` and fix what ruff names (`python -m ruff check --fix .` fixes many); "
        "the target should run `python -m ruff check .`.",
    )
