"""The numbers a results section claims, held against what an MLflow store logged.

A claim is a metric named in the text (a name the store logged, or a common one: RMSE, MAE,
R², accuracy...) and the number after it, in a line or list item, or in a table cell under a
header naming the metric. A claim may cite a run (its id, or the first 7+ hex characters of it)
or a registered model version (``ames-price v1``, ``ames-price version 1``,
``models:/ames-price/1``, ``ames-price@champion``, or a row with a version column); it is then
held against that run, else against every run. A number matches when it equals a logged value
to the digits shown (``31,234``, ``$31.2k``, ``0.81``, ``91.2%`` for 0.912).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mlops_checks.markdown_doc import Section, table_rows

COMMON = ("rmse", "mae", "mse", "r2", "mape", "accuracy", "f1", "auc", "roc_auc", "precision",
          "recall", "log_loss")  # fmt: skip
NUMBER = re.compile(
    r"(?<![\w.])[-+]?[$€£]?((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?)\s?([kKM](?![a-zA-Z])|%)?"
)
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_²/.-]*[A-Za-z0-9²]|[A-Za-z]")
HEX = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{7,32}(?![0-9a-fA-F])")
SCALE = {"k": 1e3, "K": 1e3, "M": 1e6}
GAP = r"[^\d\n|]{0,40}?"  # what may stand between a metric's name and its number


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9_]", "", name.lower().replace("²", "2").replace("^2", "2"))


@dataclass(frozen=True)
class Run:
    id: str
    name: str
    metrics: Mapping[str, float]

    @property
    def label(self) -> str:
        return f"run {self.name!r} ({self.id[:8]})" if self.name else f"run {self.id[:8]}"


@dataclass(frozen=True)
class Version:
    model: str
    version: int
    run_id: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Claim:
    metric: str  # as the text names it, normalised (rmse, r2)
    shown: str  # the number as written
    values: tuple[tuple[float, float], ...]  # (value, tolerance): a percentage reads two ways
    line: int
    context: str  # the line or row, for finding what it cites

    def matches(self, logged: float) -> bool:
        return any(abs(logged - v) <= tol for v, tol in self.values)

    def distance(self, logged: float) -> float:
        return min(abs(logged - v) for v, _ in self.values)


def number(match: re.Match[str]) -> tuple[tuple[float, float], ...]:
    """(value, tolerance) readings of a number: one unit of its last digit either way."""
    digits, decimals, suffix = match.group(1), match.group(2) or "", match.group(3) or ""
    value = float(digits.replace(",", ""))
    unit = 10.0 ** -len(decimals)
    scale = SCALE.get(suffix, 1.0)
    read: tuple[tuple[float, float], ...] = (
        (value * scale, unit * scale + 1e-9 * abs(value * scale)),
    )
    if suffix == "%":
        read += ((value / 100, unit / 100 + 1e-12),)
    return read


def metric_names(runs: Iterable[Run]) -> set[str]:
    """Every metric name a claim may use: the common ones and the parts of each logged name."""
    names = set(COMMON)
    for run in runs:
        for key in run.metrics:
            names.add(norm(key))
            names |= {norm(p) for p in re.split(r"[_./-]", key) if norm(p) in COMMON}
    return names


def claims(section: Section, names: set[str]) -> list[Claim]:
    """Every metric-and-number pair in the section: table cells under metric headers, then
    ``name ... number`` in lines outside tables."""
    found, table_lines = [], set()
    for line, row in table_rows(section):
        table_lines.add(line)
        context = " | ".join(f"{k}: {v}" for k, v in row.items())
        for header, cell in row.items():
            metric = _metric_in(header, names)
            value = NUMBER.search(cell)
            if metric and value:
                found.append(Claim(metric, value.group(0).strip(), number(value), line, context))
    for line, text in section.prose:
        if line in table_lines or ("|" in text and re.match(r"^\s*\|?\s*:?-{2,}", text)):
            continue
        for match in NAME.finditer(text):
            metric = norm(match.group(0))
            if metric not in names:
                continue
            value = re.compile(GAP + NUMBER.pattern).match(text, match.end())
            if value:
                shown = NUMBER.search(value.group(0))
                assert shown is not None
                found.append(Claim(metric, shown.group(0).strip(), number(shown), line, text))
    return found


def _metric_in(header: str, names: set[str]) -> str | None:
    for word in NAME.findall(header):
        if norm(word) in names:
            return norm(word)
    return None


def logged_as(metric: str, key: str) -> bool:
    """Whether a metric logged under ``key`` is the one a claim names (rmse: test_rmse...)."""
    parts = [norm(p) for p in re.split(r"[_./-]", key)]
    return norm(key) == metric or (metric in parts and "train" not in parts)


def cited(claim: Claim, runs: Sequence[Run], versions: Sequence[Version]) -> list[Run] | str | None:
    """The runs a claim cites, None when it cites none, or why what it cites is unknown."""
    by_id = {r.id: r for r in runs}
    text = claim.context
    for token in HEX.findall(text):
        hits = [r for r in runs if r.id.startswith(token)]
        if hits:
            return hits
        if len(token) == 32:
            return f"it cites run {token}, which is not in your store"
    for v in versions:
        name = re.escape(v.model)
        patterns = [
            rf"(?i)\b{name}\W{{0,3}}(?:v|version\s*:?\s*)(\d+)\b",
            rf"(?i)models:/{name}/(\d+)",
            rf"(?i)\b{name}\b.*\bversion:\s*v?(\d+)\b",
        ]
        for pattern in patterns:
            match = re.search(pattern, text)
            if match:
                wanted = [w for w in versions if w.model == v.model and w.version == int(match[1])]
                if not wanted:
                    return f"it cites {v.model} version {match[1]}, which is not registered"
                return [by_id[w.run_id] for w in wanted if w.run_id in by_id]
        alias = re.search(rf"(?i)\b{name}@([\w-]+)", text)
        if alias and alias[1] in v.aliases:
            return [by_id[v.run_id]] if v.run_id in by_id else []
    return None


def problem(claim: Claim, runs: Sequence[Run], versions: Sequence[Version]) -> str | None:
    """Why the claim matches no run it cites (None when it matches one), naming the closest."""
    found = cited(claim, runs, versions)
    where = f"line {claim.line}: {claim.metric} {claim.shown}"
    if isinstance(found, str):
        return f"{where}: {found}"
    one = found is not None
    candidates = found if found is not None else list(runs)
    logged = [
        (r, k, v) for r in candidates for k, v in r.metrics.items() if logged_as(claim.metric, k)
    ]
    if any(claim.matches(v) for _, _, v in logged):
        return None
    if not logged:
        where += f": {'the run it cites logged no' if one else 'no run in your store logged a'}"
        return f"{where} metric named {claim.metric}"
    scope = "the run it cites" if one else "any run in your store"
    run, key, value = min(logged, key=lambda t: claim.distance(t[2]))
    return f"{where} is not what {scope} logged (closest: {run.label} {key} {shown(value)})"


def shown(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
