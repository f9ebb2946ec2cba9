"""PromQL, tokenised only far enough to list the metric names a query selects and the label
matchers of its selectors, and whether those can ever select a series the app exports. PromQL
itself is judged by promtool (``rules_file``, ``promtool_errors``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from mlops_checks.monitoring import ROUTE_LABELS, SYNTHETIC

KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "and",
    "or",
    "unless",
    "inf",
    "nan",
}
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
NAME_MATCHER = re.compile(r'__name__\s*=\s*"([^"]+)"')
MODIFIER = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
IDENTIFIER = re.compile(r"(?<![A-Za-z0-9_:.$])[A-Za-z_:][A-Za-z0-9_:]*")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL query selects (its bare selectors and __name__ matchers)."""
    names = set(NAME_MATCHER.findall(expr))
    text = STRING.sub('""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    text = MODIFIER.sub(" ", text)  # by (le), on (job) ...
    for match in IDENTIFIER.finditer(text):
        word = match.group(0)
        if word.lower() in KEYWORDS or text[match.end() :].lstrip().startswith("("):
            continue  # a keyword, or a function or aggregation
        names.add(word)
    return names


MATCHER = re.compile(
    r"""\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)\s*,?"""
)
METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"}
STATUS_CODES = {str(code) for code in range(100, 600)}


@dataclass(frozen=True)
class Selector:
    name: str | None  # the metric name, when the selector gives one
    matchers: tuple[tuple[str, str, str], ...]  # (label, operator, value)


@dataclass(frozen=True)
class Known:
    """What the series Prometheus would store can hold, beyond the app's own labels."""

    jobs: set[str]  # the job names prometheus.yml scrapes
    target_labels: set[str]  # labels prometheus.yml adds to every series (job and instance too)
    routes: set[str]  # the app's routes (its OpenAPI paths and the route labels it exports)


def unquote(text: str) -> str:
    if text.startswith("`"):
        return text[1:-1]
    if text.startswith("'"):
        text = '"' + text[1:-1].replace('"', '\\"') + '"'
    try:
        return str(json.loads(text))
    except ValueError:
        return text[1:-1]


def selectors(expr: str) -> list[Selector]:
    """Every label-matcher selector of a PromQL query (``name{...}`` and ``{...}``)."""
    masked = STRING.sub(lambda m: '"' + "_" * (len(m.group(0)) - 2) + '"', expr)
    found = []
    for brace in re.finditer(r"\{", masked):
        name = re.search(r"[A-Za-z_:][A-Za-z0-9_:]*$", masked[: brace.start()].rstrip())
        matchers, at = [], brace.end()
        while (match := MATCHER.match(expr, at)) is not None:
            matchers.append((match.group(1), match.group(2), unquote(match.group(3))))
            at = match.end()
        by_name = [v for label, op, v in matchers if label == "__name__" and op == "="]
        metric = name.group(0) if name else (by_name[0] if by_name else None)
        found.append(Selector(metric, tuple(matchers)))
    return found


def series_labels(scrape: dict[str, Any]) -> dict[str, dict[str, set[str]]]:
    """Series name -> label -> the values seen, in a parsed scrape."""
    out: dict[str, dict[str, set[str]]] = {}
    for family in scrape.get("families", []):
        for name, labels, _ in family["samples"]:
            for key, value in labels.items():
                out.setdefault(name, {}).setdefault(key, set()).add(str(value))
            out.setdefault(name, {})
    return out


def candidates(label: str, seen: set[str], known: Known) -> set[str] | None:
    """The values a label can take, when they can be known; None when any value may come."""
    if label == "job":
        return known.jobs
    if label in ROUTE_LABELS:
        return known.routes | seen
    if label in ("status", "code", "status_code"):
        return STATUS_CODES | seen
    if label == "method":
        return METHODS | seen
    if label == "le":
        return seen
    return None


def matches(op: str, value: str, candidate: str) -> bool:
    if op == "=":
        return value == candidate
    try:
        return re.fullmatch(value, candidate) is not None
    except re.error:
        return True  # promtool names a broken regex


def empty_selections(
    expr: str, exported: dict[str, dict[str, set[str]]], known: Known
) -> list[str]:
    """Why a query's selectors can never select a series: a label the metric does not have, or
    a value no series of it can hold (a job, route, status or method it never has)."""
    problems = []
    for selector in selectors(expr):
        name = selector.name or ""
        if name in exported:
            labels = exported[name]
        elif name in SYNTHETIC - {"ALERTS", "ALERTS_FOR_STATE"}:
            labels = {}
        else:
            continue  # not the app's: a recording rule, or an unknown name (reported apart)
        names = set(labels) | known.target_labels
        for label, op, value in selector.matchers:
            if label == "__name__" or op in ("!=", "!~") or matches(op, value, ""):
                continue
            if label not in names:
                have = ", ".join(sorted(names))
                problems.append(f"{selector.name} has no label {label} (it has {have})")
                continue
            allowed = candidates(label, labels.get(label, set()), known)
            if allowed is not None and not any(matches(op, value, c) for c in allowed):
                shown = ", ".join(sorted(allowed)[:6]) if len(allowed) < 50 else "other values"
                problems.append(f'{selector.name}{{{label}{op}"{value}"}} matches no {label} '
                                f"it can have ({shown})")  # fmt: skip
    return problems


def rules_file(exprs: list[str]) -> str:
    """A Prometheus rule file holding each query as a recording rule in its own group q<i>,
    so that `promtool check rules` parses every query and names the ones it cannot."""
    groups = [
        {"name": f"q{i}", "rules": [{"record": f"dashboard:query_{i}", "expr": expr}]}
        for i, expr in enumerate(exprs)
    ]
    return yaml.safe_dump({"groups": groups}, sort_keys=False)


def promtool_errors(output: str) -> dict[int, str]:
    """promtool's complaint per query index, from `check rules` output on a rules_file()."""
    errors = {}
    for match in re.finditer(r'group "q(\d+)", rule \d+, "[^"]*": (.*)', output):
        errors[int(match.group(1))] = match.group(2).strip()
    return errors
