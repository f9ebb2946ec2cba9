"""A scaffold file's own regions, and where it parts from the file it carries on.

A region is what a week changes in a file it carries on from an earlier week: work left to the
learner (``TODO``) or material the week adds (``NEW``). Markers are ``#`` comments, so they work
in Python, YAML, Dockerfiles, shell, TOML and requirements files, and they read as plain notes:

    # TODO(week11): log one line for the prediction ...
    #       (the comment lines right below belong to the region)

    # NEW(week11): JSON logs, configured once before anything logs.
    configure_logging()
    # END NEW(week11)

    METRICS_FILE = MODELS_DIR / "metrics.json"  # NEW(week04): every output in models/

A marker comment on its own line marks its comment block, or everything down to its
``END TODO(weekNN)`` / ``END NEW(weekNN)`` line when one comes before the next marker; a marker
at the end of a code line marks that line. A region takes the blank lines after it too. Only
markers naming the scaffold's own week count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKER = re.compile(r"#\s*(?P<end>END\s+)?(?P<kind>TODO|NEW)\((?P<week>week\d\d)\)")


@dataclass(frozen=True)
class Line:
    number: int  # from 1
    text: str


@dataclass(frozen=True)
class Mismatch:
    """The first lines where the two files part (``None``: that file has ended)."""

    scaffold: Line | None
    finished: Line | None


class RegionError(ValueError):
    """A marker that does not make a region (the message says which line and why)."""


def runs(text: str, week: str) -> list[list[Line]]:
    """The scaffold's lines outside ``week``'s regions: one run before each region, one after."""
    lines = text.split("\n")
    found: list[list[Line]] = [[]]
    i = 0
    while i < len(lines):
        marker = _marker(lines[i], week)
        if marker is None:
            found[-1].append(Line(i + 1, lines[i]))
            i += 1
        elif marker.group("end"):
            raise RegionError(f"{i + 1}: {_name(marker)} closes no region: remove it")
        else:
            i = _region_end(lines, i, marker) + 1
            while i < len(lines) and not lines[i].strip():
                i += 1  # a region takes the blank lines after it
            found.append([])
    return found


def first_mismatch(text: str, finished: str, week: str) -> Mismatch | None:
    """Where ``text`` (a scaffold of ``week``) parts from ``finished`` outside its regions."""
    pattern = runs(text, week)
    lines = finished.split("\n")
    pos = 0
    for k, run in enumerate(pattern):
        starts = [pos] if k == 0 else list(range(pos, len(lines) + 1))
        if k == len(pattern) - 1:  # the last run ends the file
            starts = [s for s in starts if s + len(run) == len(lines)]
        fit = next((s for s in starts if _fits(run, lines, s)), None)
        if fit is None:
            aligned = len(lines) - len(run) if k == len(pattern) - 1 else pos
            return _closest(run, lines, pos, anchored=k == 0, near=max(aligned, pos))
        pos = fit + len(run)
    return None


def _marker(line: str, week: str) -> re.Match[str] | None:
    found = MARKER.search(line)
    return found if found is not None and found.group("week") == week else None


def _name(marker: re.Match[str]) -> str:
    return f"{'END ' if marker.group('end') else ''}{marker.group('kind')}({marker.group('week')})"


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _region_end(lines: list[str], start: int, marker: re.Match[str]) -> int:
    """The last line of the region opened at ``start``."""
    if lines[start][: marker.start()].strip():
        return start  # a marker after code marks its line
    week = marker.group("week")
    for j in range(start + 1, len(lines)):
        other = _marker(lines[j], week)
        if other is None:
            continue
        if not other.group("end"):
            break
        if other.group("kind") != marker.group("kind"):
            raise RegionError(f"{j + 1}: {_name(other)} closes {_name(marker)} of line {start + 1}")
        return j
    end = start
    while end + 1 < len(lines) and _is_comment(lines[end + 1]):
        if _marker(lines[end + 1], week):
            break
        end += 1
    return end


def _fits(run: list[Line], lines: list[str], start: int) -> bool:
    return start + len(run) <= len(lines) and all(
        line.text == lines[start + i] for i, line in enumerate(run)
    )


def _closest(run: list[Line], lines: list[str], pos: int, anchored: bool, near: int) -> Mismatch:
    """The first differing lines where ``run`` comes closest to matching at or after ``pos``
    (of equally close places, the one nearest ``near``, where it would belong)."""

    def agreed(start: int) -> int:
        n = 0
        while n < len(run) and start + n < len(lines) and run[n].text == lines[start + n]:
            n += 1
        return n

    starts = [pos] if anchored else range(pos, len(lines) + 1)
    best = max(starts, key=lambda s: (agreed(s), -abs(s - near), -s))
    n = agreed(best)
    return Mismatch(
        run[n] if n < len(run) else None,
        Line(best + n + 1, lines[best + n]) if best + n < len(lines) else None,
    )
