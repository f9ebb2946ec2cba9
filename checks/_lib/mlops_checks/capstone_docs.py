"""The capstone's two documents judged as a reviewer reads them: ARCHITECTURE.md's seven outline
sections (under any reasonable wording, numbered or not) filled beyond the outline, SLOs with
numbers, decisions that name what was rejected; RUNBOOK.md's section per alert and the anchors
alerts link to.

Standard library and ``markdown_doc`` only: no tool to run, nothing to import from the learner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from mlops_checks.markdown_doc import Doc, Heading, Section, slug

# (what the outline calls it, how a heading for it may read)
OUTLINE = (
    ("Problem and users", r"problem|users|context|background|goal"),
    ("Requirements and SLOs", r"\bslos?\b|service.level|requirements|objectives"),
    ("Components", r"component|container|building blocks|system overview|architecture"),
    ("Data and model flow", r"flow|pipeline|lifecycle|\bdata\b.*\bmodels?\b"),
    ("Decisions", r"decision|\badrs?\b|trade.?offs?"),
    ("Operations", r"operation|operating|\bops\b|running it"),
    ("Risks and limits", r"risk|limit|failure modes|caveats"),
)
NUMBERED = re.compile(r"^\s*(\d+[.)]?|[ivx]+[.)])\s+", re.I)
BLANK = re.compile(r"(?<![\w.])(\.\.\.|…)(?![\w.])")  # the outline's "under ... ms"
MIN_WORDS = 12  # of the learner's own, per section
MIN_SLOS = 3
MIN_DECISIONS = 3
MEASURE = re.compile(
    r"\d[\d,.]*\s*(%|percent|ms\b|milliseconds?|s\b|sec|seconds?|min\b|minutes?|h\b|hours?|"
    r"days?|weeks?|months?|rps\b|req|requests?|qps\b|[kmg]b\b|\$|usd|eur|dollars?|rmse|mae)"
    r"|[$€£]\s*\d",
    re.I,
)
ALTERNATIVE = re.compile(
    r"\b(instead of|alternatives?|rather than|vs\.?|versus|over|rejected|considered|"
    r"compared (?:with|to)|in favou?r of)\b",
    re.I,
)
WORD = re.compile(r"[^\W_][\w'\u2019-]*")

# The scaffold's own guidance, which never counts as the learner's text.
ARCHITECTURE_OUTLINE = frozenset(
    {
        "who uses the predictions, for what decision, and what a wrong prediction costs.",
        "- latency: p95 of /predict under ... ms at ... requests per second",
        "- availability: ...% of requests succeed over 28 days",
        "- model quality: ... (metric, threshold, how often measured, where labels come from)",
        "- freshness: a data change reaches production within ...",
        'a diagram (c4 "container" level is enough; mermaid or ascii in this file) and one line '
        "per",
        "component: data store, versioning, training pipeline, tracking and registry, serving,",
        "monitoring, drift detection, ci/cd, infrastructure.",
        "from a new batch of data to a new model in production, step by step, naming the gates.",
        "one heading per decision: what you chose, the alternatives, why, and what would change "
        "it.",
        "how to deploy, roll back, retrain, rotate secrets; link runbook.md. what is monitored and",
        "who is alerted.",
        "known failure modes, data and fairness limits, cost, what you would do with more time.",
    }
)
RUNBOOK_OUTLINE = frozenset(
    {
        "- **what it means**: the symptom users see.",
        "- **first checks** (commands to copy and paste): dashboards, kubectl get pods, recent",
        "deploys, recent data versions, logs filtered by request id.",
        "- **mitigate**: roll back (the exact command), scale, fail over, disable a feature.",
        "- **fix and follow up**: who owns it, where to write the post-incident notes.",
        "- deploy a new model version:",
        "- roll back to the previous model:",
        "- retrain by hand:",
        "- rotate an api key or the pseudonymisation key:",
    }
)
GAME_DAY = r"game.?day"
MIN_GAME_DAY_WORDS = 30


def normal(line: str) -> str:
    """A line as the outline sets compare it: lower case, no code marks, single spaces."""
    return " ".join(line.replace("`", "").lower().split())


def own_lines(section: Section, outline: frozenset[str]) -> list[tuple[int, str]]:
    """The section's prose lines that are not the outline's guidance, blank lines left out."""
    return [(n, t) for n, t in section.prose if t.strip() and normal(t) not in outline]


def own_words(section: Section, outline: frozenset[str]) -> int:
    return sum(len(WORD.findall(t)) for _, t in own_lines(section, outline))


def blanks(section: Section) -> list[str]:
    """``line N: '...'`` for each outline blank left in the section."""
    return [f"line {n}: '{t.strip()[:60]}'" for n, t in section.prose if BLANK.search(t)]


def section_level(doc: Doc) -> int:
    """The level of the document's sections: below a lone title, else the top level."""
    levels = [h.level for h in doc.headings]
    if not levels:
        return 2
    top = min(levels)
    deeper = [lv for lv in levels if lv > top]
    return min(deeper) if levels.count(top) == 1 and deeper else top


def bare(heading: Heading) -> str:
    """A heading's words without its number (``2. Requirements`` -> ``Requirements``)."""
    return NUMBERED.sub("", heading.text.replace("`", "")).strip()


@dataclass(frozen=True)
class Outline:
    """The outline's sections found in a document: what the outline calls it -> its section."""

    found: dict[str, Section]
    missing: list[str]


def outline(doc: Doc) -> Outline:
    """Each outline section matched to one heading of the document's section level, in the
    outline's order of preference (a heading counts for one outline section only)."""
    level = section_level(doc)
    candidates = [s for s in doc.sections if s.heading.level == level]
    found: dict[str, Section] = {}
    for name, pattern in OUTLINE:
        for section in candidates:
            taken = any(s is section for s in found.values())
            if not taken and re.search(pattern, bare(section.heading), re.I):
                found[name] = section
                break
    return Outline(found, [name for name, _ in OUTLINE if name not in found])


def unfilled(name: str, section: Section) -> list[str]:
    """Why an outline section is not filled in yet (nothing when it is)."""
    where = f"'{section.heading.text}'"
    problems = [f"{where} still has {b}" for b in blanks(section)]
    words = own_words(section, ARCHITECTURE_OUTLINE)
    if words < MIN_WORDS:
        problems.append(
            f"{where} ({name}) has {words} words of your own beyond the outline, fewer than "
            f"{MIN_WORDS}"
        )
    return problems


ITEM = re.compile(r"^\s*([-*+]|\d+[.)]|\|)\s")


def items(section: Section) -> list[str]:
    """The section's own list items, table rows and paragraphs, wrapped lines joined."""
    out: list[str] = []
    joined = False  # whether the next line continues the item before it
    for _, text in section.prose:
        if not text.strip() or normal(text) in ARCHITECTURE_OUTLINE:
            joined = False
        elif joined and not ITEM.match(text):
            out[-1] += " " + text.strip()
        else:
            out.append(text.strip())
            joined = True
    return out


def measured(section: Section) -> list[str]:
    """The section's items (list items, rows, paragraphs) stating a number with a unit or a
    percentage."""
    return [item for item in items(section) if MEASURE.search(item)]


@dataclass(frozen=True)
class Decision:
    title: str
    words: int
    alternative: bool


def decisions(section: Section) -> list[Decision]:
    """The decisions recorded under their own headings below the Decisions section."""
    out = []
    for sub in section.subsections:
        text = f"{sub.heading.text}\n{sub.text}"
        words = own_words(sub, ARCHITECTURE_OUTLINE)
        out.append(Decision(bare(sub.heading), words, bool(ALTERNATIVE.search(text))))
    return out


# -- RUNBOOK.md ----------------------------------------------------------------------------------


def alert_section(doc: Doc, alert: str) -> Section | None:
    """The section whose heading is exactly the alert's name (code marks aside)."""
    for section in doc.sections:
        if section.heading.text.replace("`", "").strip() == alert:
            return section
    return None


def placeholder_headings(doc: Doc) -> list[str]:
    """Headings still reading like the outline's ``<AlertName>``."""
    return [h.text for h in doc.headings if re.search(r"<[^<>]+>", h.text)]


def runbook_words(section: Section) -> int:
    return own_words(section, RUNBOOK_OUTLINE)


def link_problem(url: str, alert: str, doc: Doc) -> str:
    """Why an alert's runbook_url does not lead to its RUNBOOK.md section ('' when it does)."""
    parts = urlsplit(url.strip())
    page = parts.path.rsplit("/", 1)[-1]
    section = alert_section(doc, alert)
    want = section.heading.anchor if section else slug(alert)
    if page != "RUNBOOK.md":
        return f"{alert}'s runbook_url {url!r} does not point at RUNBOOK.md"
    if parts.fragment != want:
        got = f"#{parts.fragment}" if parts.fragment else "no anchor"
        return f"{alert}'s runbook_url ends in {got}, not #{want} (its section's anchor)"
    return ""
