"""Week 24: PORTFOLIO.md reads as a README for a stranger (problem, architecture with a real
diagram, quickstart, results, a demo), and every local link of the portfolio resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import (
    ARCHITECTURE,
    PROBLEM,
    QUICKSTART,
    RESULTS,
    SECTIONS_HINT,
    Project,
    markdown_files,
    portfolio_folders,
    section,
)

from mlops_checks import doc_links, image_files, markdown_doc
from mlops_checks.markdown_doc import Doc
from mlops_roadmap.checking import expect, expect_none

MIN_PROBLEM_WORDS = 15
DEMO = re.compile(  # a demo named in a link or its line (demo.py, code, is not a recording)
    r"(?i)\bdemo\b(?!\.\w)|video|recording|screencast|walkthrough|youtu|vimeo|loom"
    r"|\.(mp4|webm|mov|gif)\b"
)


@pytest.mark.points(2)
@pytest.mark.hint(SECTIONS_HINT)
def test_portfolio_sections(portfolio: Doc) -> None:
    """PORTFOLIO.md has Problem, Architecture, Quickstart, Results, a demo link, no placeholder"""
    problems = []
    for pattern, what in (
        (PROBLEM, "Problem"),
        (ARCHITECTURE, "Architecture"),
        (QUICKSTART, "Quickstart"),
        (RESULTS, "Results"),
    ):
        if portfolio.section(pattern) is None:
            problems.append(f"no {what} section (a heading such as '## {what}')")
    problem = portfolio.section(PROBLEM)
    if problem is not None and problem.words() < MIN_PROBLEM_WORDS:
        problems.append(
            f"the '{problem.heading.text}' section has {problem.words()} words, fewer than "
            f"{MIN_PROBLEM_WORDS}: say who has the problem, what it costs and what you built"
        )
    demos = [
        k
        for k in portfolio.links
        if DEMO.search(f"{k.text} {k.target}") or DEMO.search(portfolio.lines[k.line - 1])
    ]
    if not demos:
        problems.append("no link to your demo (a line or link mentioning the demo or video)")
    problems += [f"placeholder {p}" for p in portfolio.placeholders()]
    expect_none(problems, expected="a portfolio README a stranger can read", shown=8)


@pytest.mark.points(2)
@pytest.mark.hint(
    "Export your diagram as PNG or SVG (draw.io, Excalidraw, Mermaid CLI), commit it next to "
    "PORTFOLIO.md (docs/architecture.png) and show it: ![Architecture](docs/architecture.png)."
)
def test_architecture_image(portfolio: Doc, workspace: Path, week_dir: Path) -> None:
    """The architecture section shows a diagram that is a real PNG, SVG or JPEG file"""
    where = section(portfolio, ARCHITECTURE, "Architecture", SECTIONS_HINT)
    images = [k for k in where.links if k.image]
    local = [(k, doc_links.target(portfolio, k, workspace)) for k in images]
    local_images = [(k, t) for k, t in local if t is not None]
    expect(
        local_images,
        expected=f"an image of your architecture under '{where.heading.text}', committed in the "
        "repository (![...](docs/architecture.png))",
        found=(
            "only images on other sites: " + ", ".join(k.target for k in images)
            if images
            else "no image in that section"
        ),
    )
    problems = []
    for link, dest in local_images:
        shown = f"line {link.line}: {link.target}"
        if not dest.path.is_file():
            problems.append(f"{shown}: no such file")
        elif not doc_links.inside(dest.path, workspace):
            problems.append(f"{shown}: outside the repository")
        else:
            why = image_files.problem(dest.path)
            if why:
                problems.append(f"{shown}: {why}")
    expect_none(
        problems, expected="each diagram a readable PNG, SVG or JPEG file in the repository"
    )


@pytest.mark.points(2)
@pytest.mark.hint(
    "Links are relative to the file they are in; /path starts at the repository's root; "
    "#anchor is the heading in lower case, punctuation dropped, spaces as hyphens."
)
def test_links_resolve(
    portfolio: Doc, projects: list[Project], workspace: Path, week_dir: Path
) -> None:
    """Every local link and anchor in the portfolio's Markdown files resolves"""
    problems: list[str] = []
    local = [k for k in portfolio.links if doc_links.target(portfolio, k, workspace) is not None]
    expect(
        local,
        expected="PORTFOLIO.md to link your diagram and your projects with relative links",
        found="no local link in PORTFOLIO.md",
    )
    files = [
        f
        for folder in portfolio_folders(week_dir, projects, workspace)
        for f in markdown_files(folder)
    ]
    for path in dict.fromkeys(files):
        doc = portfolio if path == portfolio.path else markdown_doc.read(path)
        for link in doc.links:
            why = doc_links.problem(doc, link, workspace, week_dir)
            if why:
                problems.append(why)
    expect_none(
        problems,
        expected="every relative link, image and #anchor of the portfolio's Markdown files "
        "to lead to a file, folder or heading inside the repository",
        shown=8,
    )
