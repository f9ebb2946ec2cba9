"""Week 24: PORTFOLIO.md indexes three projects, each a folder of the workspace whose README a
reviewer can run: the problem, how to run it (a shell block), and results with numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import PROBLEM, QUICKSTART, RESULTS, Project

from mlops_checks import doc_links, markdown_doc, quickstart
from mlops_checks.markdown_doc import Doc
from mlops_roadmap.checking import expect, expect_none

PROJECTS = 3
MIN_WORDS = 15
RUN = QUICKSTART + r"|install|set ?up|running|deploy"


def intro_words(doc: Doc) -> int:
    """Words of prose before the first heading below the title (a README's opening)."""
    below = [h for h in doc.headings if h.level > 1]
    end = below[0].line - 1 if below else len(doc.lines)
    text = [
        t for i, t in enumerate(doc.lines[:end]) if not doc.in_code[i] and not t.startswith("#")
    ]
    return len(markdown_doc.WORD.findall("\n".join(text)))


def readme_problems(doc: Doc, name: str) -> list[str]:
    """What a reviewer would miss in one project's README."""
    out = []
    problem = doc.section(PROBLEM)
    if (problem is None or problem.words() < MIN_WORDS) and intro_words(doc) < MIN_WORDS:
        out.append(f"{name} does not state the problem (a Problem section or an opening paragraph)")
    how = doc.section(RUN)
    if how is None:
        out.append(f"{name} has no section on how to run it (e.g. '## Quickstart')")
    elif quickstart.shell_block(how.blocks) is None:
        out.append(f"{name}: '{how.heading.text}' has no shell code block with the commands")
    results = doc.section(RESULTS)
    if results is None:
        out.append(f"{name} has no Results section")
    elif not re.search(r"\d", "\n".join(t for _, t in results.lines)):
        out.append(f"{name}: '{results.heading.text}' holds no number")
    out += [f"{name}: placeholder {p}" for p in doc.placeholders()]
    return out


@pytest.mark.points(3)
@pytest.mark.hint(
    "Under each project's heading in PORTFOLIO.md, link its README with a relative link, e.g. "
    "[README](../my-capstone/README.md), or a folder holding one; give each README Problem, "
    "Quickstart and Results."
)
def test_three_projects(projects: list[Project], workspace: Path, week_dir: Path) -> None:
    """Three projects indexed, each README with the problem, how to run it and results"""
    expect(
        len(projects) >= PROJECTS,
        expected=f"links from PORTFOLIO.md to {PROJECTS} project folders (or their READMEs)",
        found=f"{len(projects)}: " + (", ".join(p.link for p in projects) or "no project link"),
    )
    problems = []
    for p in projects:
        where = f"line {p.line}: {p.link}"
        if not doc_links.inside(p.folder, workspace):
            problems.append(f"{where} leads outside the workspace")
        elif not p.folder.is_dir():
            problems.append(f"{where}: no such folder in the workspace")
        elif p.readme is None:
            problems.append(f"{where}: the folder has no README.md")
        else:
            name = doc_links.shown_path(p.readme, week_dir)
            problems += readme_problems(markdown_doc.read(p.readme), name)
    expect_none(problems, expected="three project READMEs a reviewer can run", shown=8)
