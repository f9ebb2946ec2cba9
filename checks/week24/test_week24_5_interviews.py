"""Week 24: INTERVIEW_PREP.md answers every core question, holds a system design that covers
the whole life cycle, three STAR stories with measurable results, and two mock interviews.

What the answers are worth is for a mentor (see test_week24_6_review.py); these checks only ask
that each one is there, in the learner's own words, with the substance the lesson asks for.
"""

from __future__ import annotations

import re

import pytest
from conftest import section

from mlops_checks import markdown_doc
from mlops_checks.markdown_doc import Doc, Section
from mlops_roadmap.checking import expect_none

MIN_ANSWER_WORDS = 25
MIN_DESIGN_WORDS = 150
QUESTIONS = {  # what each core question is about -> words that identify it
    "notebook to production": r"notebook|production",
    "labels arriving late": r"labels",
    "training/serving skew": r"skew",
    "rolling back": r"roll ?back",
    "when to retrain": r"retrain",
    "batch or online": r"batch",
    "versioning data, code and models": r"version",
    "monitoring and paging": r"monitor",
    "secrets and personal data": r"secret|personal",
    "kubectl apply to a ready pod": r"kubectl|kubernetes|pod",
    "MLflow vs SageMaker vs Vertex AI": r"(?=.*mlflow)(?=.*sagemaker)(?=.*vertex)",
}
ITEM = re.compile(r"^(\d+)[.)]\s+(.*)")
STORIES = {
    "an incident": r"incident|debug|outage|bug|failure|broke",
    "a trade-off": r"trade.?off|decision|chose|choice",
    "a collaboration": r"collaborat|working with|team|review|disagree|handover|others",
}
STAR = ("situation", "task", "action", "result")
PART = r"(?:situation|task|action|result)"
LABEL = re.compile(
    rf"^\s*(?:[-*+]\s+|#{{1,6}}\s+)?[*_]*({PART}(?:\s*(?:/|&|and|,)\s*{PART})*)\b"
    r"[^:\n]{0,30}?[*_]*\s*(?::[*_]*\s*(.*)|$)",
    re.I,
)
DESIGN_TOPICS = {
    "data": r"\bdata",
    "training": r"\btrain",
    "serving": r"\bserv|inference",
    "monitoring": r"monitor",
    "retraining": r"retrain",
}
PREP_HINT = "Start from the scaffold's INTERVIEW_PREP.md: keep its headings, fill in each part."


def questions(where: Section) -> list[tuple[str, str, int]]:
    """(question, answer, line) for each numbered item or sub-heading of the section."""
    found: list[tuple[str, list[str], int]] = []
    for number, line in where.prose:
        item = None if line.startswith((" ", "\t")) else ITEM.match(line.strip())
        heading = markdown_doc.ATX.match(line)
        text = item.group(2) if item else heading.group(2) if heading else None
        if text is not None:
            found.append((text, [], number))
        elif found:
            found[-1][1].append(line)
    return [(q, "\n".join(a), n) for q, a, n in found]


def answer_problem(question: str, answer: str) -> str | None:
    words = markdown_doc.WORD.findall(answer)
    if markdown_doc.PLACEHOLDER.search(answer):
        return "still holds the outline's placeholder"
    if len(words) < MIN_ANSWER_WORDS:
        return f"has an answer of {len(words)} words (at least {MIN_ANSWER_WORDS})"
    return None


@pytest.mark.points(2)
@pytest.mark.hint(
    "Under each question, write the gist of your two-minute answer (a few sentences tied to "
    "something you built); keep all the scaffold's questions."
)
def test_core_questions_answered(prep: Doc) -> None:
    """Every core question answered, MLflow vs SageMaker vs Vertex AI included"""
    where = section(prep, r"core questions|questions", "Core questions", PREP_HINT)
    asked = questions(where)
    problems = []
    for topic, pattern in QUESTIONS.items():
        if not any(re.search(pattern, q, re.I | re.S) for q, _, _ in asked):
            problems.append(f"no question about {topic}")
    for question, answer, line in asked:
        why = answer_problem(question, answer)
        if why:
            problems.append(f"line {line} ('{question}') {why}")
    expect_none(
        problems,
        expected=f"an answer of substance under each of the {len(QUESTIONS)} core questions",
        shown=6,
    )


@pytest.mark.hint(
    "Walk through requirements, data, training, serving, monitoring and retraining, and name "
    "one trade-off at each step."
)
def test_system_design(prep: Doc) -> None:
    """The written system design covers data, training, serving, monitoring and retraining"""
    where = section(prep, r"system design|design", "System design", PREP_HINT)
    text = where.text
    problems = [
        f"no word about {t}" for t, p in DESIGN_TOPICS.items() if not re.search(p, text, re.I)
    ]
    if where.words() < MIN_DESIGN_WORDS:
        problems.append(
            f"{where.words()} words (a one-page design has at least {MIN_DESIGN_WORDS})"
        )
    problems += [f"placeholder {p}" for p in _placeholders(where)]
    expect_none(problems, expected="a one-page system design covering the whole life cycle")


def _placeholders(where: Section) -> list[str]:
    return [
        f"line {n}: {m.group(0)}"
        for n, t in where.prose
        for m in markdown_doc.PLACEHOLDER.finditer(t)
    ]


def star_parts(story: Section) -> dict[str, str]:
    """label -> text for each STAR part of a story, written as `- Situation: ...`, `**Task**`,
    a sub-heading, or `Situation / Task:` (one text for both)."""
    parts: dict[str, list[str]] = {}
    current: list[str] = []
    for _, line in story.prose:
        label = LABEL.match(line)
        if label:
            current = [label.group(2) or ""]
            for name in re.findall(r"situation|task|action|result", label.group(1), re.I):
                parts[name.lower()] = current
        else:
            current.append(line)
    return {k: "\n".join(v).strip() for k, v in parts.items()}


@pytest.mark.points(2)
@pytest.mark.hint(
    "Give each story Situation, Task, Action and Result, most of it on the Action, and a Result "
    "with a number (minutes saved, errors avoided, RMSE, latency)."
)
def test_star_stories(prep: Doc) -> None:
    """Three STAR stories (incident, trade-off, collaboration) with measurable results"""
    where = section(prep, r"\bstar\b|stories", "STAR stories", PREP_HINT)
    stories = where.subsections
    problems = []
    for kind, pattern in STORIES.items():
        story = next((s for s in stories if re.search(pattern, s.heading.text, re.I)), None)
        if story is None:
            problems.append(f"no story about {kind} (a '###' heading naming it)")
            continue
        name = f"'{story.heading.text}'"
        parts = star_parts(story)
        missing = [p.title() for p in STAR if not markdown_doc.WORD.search(parts.get(p, ""))]
        if missing:
            problems.append(f"{name} has no {', '.join(missing)}")
        elif not re.search(r"\d", parts["result"]):
            problems.append(f"{name}: its Result has no number ({parts['result'][:60]!r})")
        problems += [f"{name}: placeholder {p}" for p in _placeholders(story)]
    expect_none(problems, expected="three complete STAR stories with measurable results", shown=6)


@pytest.mark.hint(
    "After each mock interview, add a row: date, who interviewed you, what went well, what to "
    "improve (or a '###' heading per interview with those notes)."
)
def test_mock_interviews(prep: Doc) -> None:
    """Notes from two mock interviews"""
    where = section(prep, r"mock", "Mock interviews", PREP_HINT)
    rows = [r for _, r in markdown_doc.table_rows(where) if _filled(list(r.values())) >= 3]
    notes = [s for s in where.subsections if s.words() >= MIN_ANSWER_WORDS and not _placeholders(s)]
    found = max(len(rows), len(notes))
    expect_none(
        [f"{found} filled in"] if found < 2 else [],
        expected="notes from at least two mock interviews (table rows with the date, the "
        "interviewer, what went well and what to improve)",
    )


def _filled(cells: list[str]) -> int:
    return sum(1 for c in cells if c.strip() and not markdown_doc.PLACEHOLDER.search(c))
