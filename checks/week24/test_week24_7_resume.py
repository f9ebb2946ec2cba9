"""Week 24: RESUME.md follows its outline as a reader skims it: a name and a way to reach you, a
short summary, skills, three projects each linked to its README with a measured result, an
education section, all on one page and no placeholder left.

How well it sells you is for a mentor (see test_week24_6_review.py); this check asks that each
part the outline names is there, filled in.
"""

from __future__ import annotations

import re

import pytest

from mlops_checks import markdown_doc
from mlops_checks.markdown_doc import Doc, Section
from mlops_roadmap.checking import expect_none

SECTIONS = {  # what the outline names -> headings that say it
    "Summary": r"summary|profile|about",
    "Skills": r"skills|tools|technolog|stack",
    "Projects": r"projects?\b",
    "Education": r"education|certif|training|courses?|learning",
}
SUMMARY_WORDS = (15, 90)
PAGE_WORDS = 700  # a page of a resume in words (prose, headings and bullets)
PROJECTS = 3
CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://\S+|\b(?:github|gitlab|linkedin)\.com/\S+|\]\([^)]+\)",
    re.I,
)
NUMBER = re.compile(r"\d")
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
HINT = (
    "Start from the scaffold's RESUME.md: keep its headings (or your wording of them), replace "
    "every <placeholder>, and give each project a link to its README and a bullet with a number."
)


def projects(where: Section) -> list[tuple[str, str, int]]:
    """(name, text, links) for each project: its ``###`` sub-sections, else the section's
    top-level bullets."""
    if where.subsections:
        return [(s.heading.text, s.text, len(s.links)) for s in where.subsections]
    bullets: list[tuple[str, list[str], int]] = []
    for number, line in where.prose:
        if re.match(r"[-*+]\s+", line):
            name = LINK.sub(r"\1", line[2:]).strip().split(":")[0].strip("*_ ")
            bullets.append((name[:40], [line], number))
        elif bullets and line.startswith((" ", "\t")):
            bullets[-1][1].append(line)
    links = where.links
    return [
        (name, "\n".join(text), sum(1 for k in links if start <= k.line < start + len(text)))
        for name, text, start in bullets
    ]


def section(resume: Doc, pattern: str) -> Section | None:
    """The resume's own section whose heading matches: one of the top sections below its title,
    never a project's sub-heading (a project named "Retraining" is no Education section)."""
    below = resume.sections
    if below and [h.level for h in resume.headings].count(below[0].heading.level) == 1:
        below = below[1:]  # the title: the one heading at its level
    level = min((s.heading.level for s in below), default=0)
    return next(
        (s for s in below if s.heading.level == level and re.search(pattern, s.heading.text, re.I)),
        None,
    )


def problems_of(resume: Doc) -> list[str]:
    left = resume.placeholders()
    many = f"{len(left)} placeholders" if len(left) > 1 else "a placeholder"
    problems = [f"{many} left, the first at {left[0]}"] if left else []
    first = next((h for h in resume.headings if h.level > 1), None)
    top = resume.lines[: first.line - 1 if first else len(resume.lines)]
    if not any(CONTACT.search(line) for line in top):
        problems.append("no email address or link before the first section (how to reach you)")
    found = {what: section(resume, pattern) for what, pattern in SECTIONS.items()}
    problems += [f"no {what} section" for what, s in found.items() if s is None]
    summary, work = found["Summary"], found["Projects"]
    if summary is not None and not SUMMARY_WORDS[0] <= summary.words() <= SUMMARY_WORDS[1]:
        low, high = SUMMARY_WORDS
        problems.append(f"a summary of {summary.words()} words (from {low} to {high})")
    if work is not None:
        listed = projects(work)
        if len(listed) < PROJECTS:
            named = work.heading.text
            problems.append(f"{len(listed)} projects under '{named}' ({PROJECTS} asked)")
        for name, text, links in listed:
            if not links:
                problems.append(f"project '{name}' links no README")
            if not NUMBER.search(YEAR.sub("", LINK.sub(r"\1", text))):  # a year is no result
                problems.append(f"project '{name}' states no measured result (no number)")
    words = sum(len(markdown_doc.WORD.findall(line)) for n, line in enumerate(resume.lines)
                if not resume.in_code[n])  # fmt: skip
    if words > PAGE_WORDS:
        problems.append(f"{words} words (one page is about {PAGE_WORDS})")
    return problems


@pytest.mark.points(2)
@pytest.mark.hint(HINT)
def test_resume(resume: Doc) -> None:
    """RESUME.md on a page: contact, summary, skills, three linked projects, education"""
    expect_none(
        problems_of(resume),
        expected="RESUME.md filled in: a way to reach you, a summary of 15-90 words, skills, "
        "three projects each linking its README with a measured result, education, at most "
        f"{PAGE_WORDS} words",
        shown=6,
    )
