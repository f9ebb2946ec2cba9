"""The class report's pictures: the heat map of students by checks (an HTML table), pass rate
bars and a score histogram (inline SVG).

Written by hand: no plotting library to install, nothing fetched when the page opens.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from html import escape

from mlops_roadmap.grading.model import NOT_GRADED, Student, file_stem
from mlops_roadmap.manifest import ManifestCheck
from mlops_roadmap.results import CheckResult

LABEL_CHARS = 48
TIP_CHARS = 160  # a cell's tooltip; the student's section below has the whole message
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f]")  # ANSI codes too
LEGEND = {
    "passed": "passed",
    "failed": "failed",
    "blocked": "blocked (could not run)",
    "error": "error (check broke)",
    NOT_GRADED: "not graded",
}


def text(value: object) -> str:
    """Escaped, without the control characters (a terminal colour code) browsers draw as boxes."""
    return escape(_CONTROL.sub("", str(value)))


def _heads(columns: list[tuple[str, ManifestCheck]]) -> str:
    """Two header rows: the weeks (short when narrow), then each check's title turned upright."""
    spans = []
    for w in dict.fromkeys(week for week, _ in columns):
        n = sum(col[0] == w for col in columns)
        label = w if n >= 3 else w.removeprefix("week")
        spans.append(f'<th class=wk colspan={n} title="{text(w)}">{text(label)}</th>' if n else "")
    heads = "".join(
        f'<th class="col{_gap(columns, i)}" title="{text(f"{w}: {r.title}")}">'
        f"<span>{text(r.title or r.id)}</span></th>"
        for i, (w, r) in enumerate(columns)
    )
    return f"<tr><th></th>{''.join(spans)}<th></th></tr><tr><th></th>{heads}<th></th></tr>"


def _gap(columns: list[tuple[str, ManifestCheck]], i: int) -> str:
    """A week's first column gets a gap before it, so weeks read as groups."""
    return " ws" if i and columns[i][0] != columns[i - 1][0] else ""


def heatmap(
    students: list[Student],
    columns: list[tuple[str, ManifestCheck]],
    cells: dict[tuple[str, str, str], CheckResult],
    total: Callable[[Student], float],
    full: float,
) -> str:
    """A row per student, a coloured cell per check (title: the outcome and its message)."""
    rows = []
    for s in students:
        tds = []
        for i, (w, col) in enumerate(columns):
            r = cells.get((s.id, w, col.id))
            outcome = r.outcome if r else NOT_GRADED
            tip = f"{s.name} · {w}: {col.title}: {LEGEND[outcome]}"
            tip += f"\n{_short(r.message, TIP_CHARS)}" if r and r.message else ""
            tds.append(f'<td class="c {outcome}{_gap(columns, i)}" title="{text(tip)}"></td>')
        # The name alone gives way to a long name: the id beside it always shows.
        label = (
            f'<a href="#s-{file_stem(s.id)}" title="{text(s.name)} ({text(s.id)})">'
            f"<span class=nm>{text(s.name)}</span> <span class=id>{text(s.id)}</span></a>"
        )
        score = f"<td class=tot>{total(s):g} / {full:g}</td>"
        rows.append(f"<tr><th>{label}</th>{''.join(tds)}{score}</tr>")
    return (
        f"<div class=wrap><table class=heat><thead>{_heads(columns)}</thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _rate_colour(rate: float) -> str:
    return "var(--failed)" if rate < 0.5 else "var(--blocked)" if rate < 0.8 else "var(--passed)"


def bars(rates: list[tuple[str, float, int]]) -> str:
    """One horizontal bar per check: the share of submissions that passed it, of how many ran."""
    if not rates:
        return "<p class=meta>No check ran.</p>"
    label_w, bar_w, row = 340, 340, 24
    out = []
    for i, (label, rate, ran) in enumerate(rates):
        y = i * row
        tip = f"{label}: {round(rate * ran)} of {ran} passed ({rate:.0%})"
        out.append(
            f"<g><title>{escape(tip)}</title>"
            f'<text x="{label_w - 10}" y="{y + 16}" text-anchor="end">'
            f"{escape(_short(label))}</text>"
            f'<rect x="{label_w}" y="{y + 5}" width="{bar_w}" height="14" rx="2" fill="#eef1f4"/>'
            f'<rect x="{label_w}" y="{y + 5}" width="{bar_w * rate:.1f}" height="14" rx="2" '
            f'fill="{_rate_colour(rate)}"/>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 16}">{rate:.0%} '
            f'<tspan class="dim">of {ran}</tspan></text></g>'
        )
    width, height = label_w + bar_w + 80, len(rates) * row + 6
    return (
        f'<svg class="bars" role="img" aria-label="pass rate per check" width="{width}"'
        f' height="{height}" viewBox="0 0 {width} {height}">{"".join(out)}</svg>'
    )


def _bins(totals: list[float], full: float) -> list[tuple[str, int]]:
    """Whole-point bins for small totals, else ten equal ranges; the top bin includes full marks."""
    if full <= 0:
        return [("0", len(totals))]
    if full <= 20 and full == int(full):
        n, width = int(full) + 1, 1.0
        labels = [str(i) for i in range(n)]
    else:
        n, width = 10, full / 10
        labels = [f"{i * width:g}-{(i + 1) * width:g}" for i in range(n)]
    counts = [0] * n
    for t in totals:
        counts[min(max(int(t // width), 0), n - 1)] += 1
    return list(zip(labels, counts, strict=True))


def histogram(totals: list[float], full: float) -> str:
    """How the class's total scores spread, with the mean and median under it."""
    if not totals:
        return "<p class=meta>No student was graded.</p>"
    bins = _bins(totals, full)
    width, plot_h, x0, top = 760, 160, 40, 18
    slot = (width - x0 - 10) / len(bins)
    tallest = max(c for _, c in bins) or 1
    out = [f'<line x1="{x0}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" '
           'stroke="#8c959f"/>']  # fmt: skip
    for i, (label, count) in enumerate(bins):
        h = count / tallest * plot_h
        x, y = x0 + i * slot + 3, top + plot_h - h
        mid = x + (slot - 6) / 2
        out.append(
            f"<g><title>{count} students scored {escape(label)}</title>"
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot - 6:.1f}" height="{h:.1f}" rx="2" '
            'fill="#4f7cac"/>'
            + (
                f'<text x="{mid:.1f}" y="{y - 4:.1f}" text-anchor="middle">{count}</text>'
                if count
                else ""
            )
            + f'<text class="dim" x="{mid:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
            f"{escape(label)}</text></g>"
        )
    stats = (
        f"mean {statistics.fmean(totals):.1f} · median {statistics.median(totals):g} · "
        f"of {full:g} points · {len(totals)} students"
    )
    height = top + plot_h + 44
    out.append(f'<text class="dim" x="{x0}" y="{height - 6}">{escape(stats)}</text>')
    return (
        f'<svg class="hist" role="img" aria-label="total scores" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}">{"".join(out)}</svg>'
    )
