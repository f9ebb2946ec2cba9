"""Markdown read as a reader on GitHub sees it: headings and their sections, fenced code blocks,
links and images (inline, reference and HTML), pipe tables, and the anchors GitHub gives headings.

Standard library only. Code blocks and inline code never count as prose, links or headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
LIST_OR_TABLE = re.compile(r"^([-*+>|]|\d+[.)])(\s|$)|^\||^#")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'(][^)]*)?\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
HTML_LINK = re.compile(r"<(img|a|source|video)\b[^>]*?\b(src|href)\s*=\s*[\"']([^\"']*)[\"']", re.I)
HTML_ID = re.compile(r"<[a-z]+\b[^>]*?\b(?:id|name)\s*=\s*[\"']([^\"']+)[\"']", re.I)
SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
PLACEHOLDER = re.compile(r"<(?!https?:|mailto:)([^<>=\"/\n]*\s[^<>=\"/\n]*)>|\bTODO\b")
WORD = re.compile(r"[^\W_][\w'\u2019-]*")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    line: int  # 1-based line number
    anchor: str  # GitHub's id for it (``#anchor``)


@dataclass(frozen=True)
class Link:
    target: str
    line: int
    image: bool
    text: str


@dataclass(frozen=True)
class Block:
    """A fenced code block: its info string's language and its lines."""

    lang: str
    text: str
    line: int  # the line of its first content line


@dataclass(frozen=True)
class Section:
    """A heading and everything under it up to the next heading of the same or a higher level."""

    heading: Heading
    doc: Doc
    start: int  # index of the first body line
    end: int  # index past the last body line

    @property
    def lines(self) -> list[tuple[int, str]]:
        """(line number, text) of its body, code blocks included."""
        return [(i + 1, self.doc.lines[i]) for i in range(self.start, self.end)]

    @property
    def prose(self) -> list[tuple[int, str]]:
        """Its body lines outside code blocks, with inline code kept as plain text."""
        return [
            (n, INLINE_CODE.sub(r"\2", t)) for n, t in self.lines if not self.doc.in_code[n - 1]
        ]

    @property
    def text(self) -> str:
        return "\n".join(t for _, t in self.prose)

    @property
    def blocks(self) -> list[Block]:
        return [b for b in self.doc.blocks if self.start < b.line <= self.end]

    @property
    def links(self) -> list[Link]:
        return [k for k in self.doc.links if self.start < k.line <= self.end]

    @property
    def subsections(self) -> list[Section]:
        """The sections one level below this one."""
        return [
            s
            for s in self.doc.sections
            if self.start < s.heading.line <= self.end
            and s.heading.level
            == min(h.level for h in self.doc.headings if self.start < h.line <= self.end)
        ]

    def words(self) -> int:
        return len(WORD.findall(self.text))


@dataclass(frozen=True)
class Doc:
    path: Path
    lines: list[str]
    in_code: list[bool]  # per line: inside a fenced block (fences included)
    headings: list[Heading]
    blocks: list[Block]
    links: list[Link]
    ids: set[str]  # explicit HTML ids and names

    @property
    def sections(self) -> list[Section]:
        out = []
        for i, heading in enumerate(self.headings):
            after = [h for h in self.headings[i + 1 :] if h.level <= heading.level]
            end = after[0].line - 1 if after else len(self.lines)
            out.append(Section(heading, self, heading.line, end))
        return out

    def section(self, pattern: str) -> Section | None:
        """The first section whose heading matches ``pattern`` (a case-insensitive regex)."""
        for section in self.sections:
            if re.search(pattern, section.heading.text, re.I):
                return section
        return None

    @property
    def anchors(self) -> set[str]:
        return {h.anchor for h in self.headings} | self.ids

    def placeholders(self) -> list[str]:
        """``line N: <your name>`` for each outline placeholder left outside code."""
        found = []
        for number, line in enumerate(self.lines, 1):
            if self.in_code[number - 1]:
                continue
            for match in PLACEHOLDER.finditer(INLINE_CODE.sub("", line)):
                found.append(f"line {number}: {match.group(0)}")
        return found


def slug(text: str) -> str:
    """GitHub's anchor for a heading: rendered text, lower case, punctuation gone, spaces to -."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links and images: their text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "")
    text = re.sub(r"(\*+|(?<!\w)_+|_+(?!\w))", "", text)  # emphasis marks, not snake_case
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def read(path: Path) -> Doc:
    """``path`` parsed; unreadable bytes are replaced, never raised on."""
    return parse(path, path.read_text(encoding="utf-8", errors="replace"))


def parse(path: Path, text: str) -> Doc:
    lines = text.splitlines()
    in_code, blocks, fence = [False] * len(lines), [], ""
    start, lang = 0, ""
    for i, line in enumerate(lines):
        match = FENCE.match(line)
        if fence:
            in_code[i] = True
            if line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
                blocks.append(Block(lang, "\n".join(lines[start:i]), start + 1))
                fence = ""
        elif match:
            in_code[i], fence, start, lang = True, match.group(1), i + 1, match.group(2).lower()
    if fence:
        blocks.append(Block(lang, "\n".join(lines[start:]), start + 1))
    headings, seen = [], dict[str, int]()
    links: list[Link] = []
    ids: set[str] = set()
    for i, line in enumerate(lines):
        if in_code[i]:
            continue
        found = _heading(lines, in_code, i)
        if found is not None:
            level, text, line_number = found
            base = slug(text)
            count = seen.get(base, 0)
            seen[base] = count + 1
            anchor = base if count == 0 else f"{base}-{count}"
            headings.append(Heading(level, text, line_number, anchor))
        links += line_links(INLINE_CODE.sub("", line), i + 1)
        ids |= {m.group(1) for m in HTML_ID.finditer(line)}
    return Doc(path, lines, in_code, headings, blocks, links, ids)


def _heading(lines: list[str], in_code: list[bool], i: int) -> tuple[int, str, int] | None:
    """(level, text, line) of an ATX heading on line ``i``, or of a setext one (text underlined
    with === or --- on the next line), else None."""
    atx = ATX.match(lines[i])
    if atx:
        return len(atx.group(1)), atx.group(2), i + 1
    below = lines[i + 1] if i + 1 < len(lines) and not in_code[i + 1] else ""
    underline = SETEXT.match(below)
    text = lines[i].strip()
    if underline and text and not lines[i].startswith("    ") and not LIST_OR_TABLE.match(text):
        return (1 if underline.group(1)[0] == "=" else 2), text, i + 1
    return None


def line_links(line: str, number: int) -> list[Link]:
    """Every link and image on one line of prose (an image inside a link's text included)."""
    found = []
    for match in LINK.finditer(line):
        found.append(Link(match.group(3), number, match.group(1) == "!", match.group(2)))
        found += [
            Link(m.group(3), number, m.group(1) == "!", m.group(2))
            for m in LINK.finditer(match.group(2))
        ]
    reference = REFERENCE.match(line)
    if reference:
        found.append(Link(reference.group(1), number, False, ""))
    for match in HTML_LINK.finditer(line):
        image = match.group(1).lower() in {"img", "source", "video"}
        found.append(Link(match.group(3), number, image, ""))
    return found


def table_rows(section: Section) -> list[tuple[int, dict[str, str]]]:
    """(line, {header: cell}) for each data row of the pipe tables in a section's prose."""
    rows: list[tuple[int, dict[str, str]]] = []
    prose = section.prose
    for k in range(1, len(prose)):
        if not SEPARATOR.match(prose[k][1]) or "|" not in prose[k - 1][1]:
            continue
        header = cells(prose[k - 1][1])
        for number, line in prose[k + 1 :]:
            if "|" not in line or not line.strip():
                break
            rows.append((number, dict(zip(header, cells(line), strict=False))))
    return rows


def cells(line: str) -> list[str]:
    line = line.strip()
    line = line[1:] if line.startswith("|") else line
    line = line[:-1] if line.endswith("|") and not line.endswith("\\|") else line
    return [c.strip() for c in re.split(r"(?<!\\)\|", line)]
