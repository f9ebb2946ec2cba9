"""Monitoring helpers: known traffic between two scrapes of /metrics, the parsed scrapes,
Grafana dashboards and PromQL queries.

Standard library and PyYAML only. PromQL itself is judged by promtool; here a query is only
tokenised far enough to list the metric names it selects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

COUNTER = "http_requests_total"
HISTOGRAM = "http_request_duration_seconds"
PRICES = "predicted_price_dollars"
ROUTE_LABELS = ("endpoint", "path", "handler", "route")  # the label holding the route
JOB = "housing-api"
# Series Prometheus makes itself for every scrape target, and its alert series: a dashboard may
# query them although the app does not export them.
SYNTHETIC = {
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
    "ALERTS",
    "ALERTS_FOR_STATE",
}
# Grafana's own variables, replaced by values of the same kind before promtool sees a query.
GRAFANA_VARIABLES = {
    "__rate_interval": "5m",
    "__interval": "1m",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
    "__interval_ms": "60000",
}
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
# $name, ${name}, ${name:format}, [[name]], [[name:format]]
GRAFANA_VARIABLE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)")
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
NAME_MATCHER = re.compile(r'__name__\s*=\s*"([^"]+)"')
MODIFIER = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
IDENTIFIER = re.compile(r"(?<![A-Za-z0-9_:.$])[A-Za-z_:][A-Za-z0-9_:]*")


Sample = tuple[str, dict[str, str], float]
LabelKey = tuple[tuple[str, str], ...]


def samples(scrape: dict[str, Any], name: str) -> list[Sample]:
    """Every sample called ``name`` in a parsed scrape."""
    return [
        (s[0], dict(s[1]), float(s[2]))
        for family in scrape.get("families", [])
        for s in family["samples"]
        if s[0] == name
    ]


def family_of(scrape: dict[str, Any], sample_name: str) -> dict[str, Any] | None:
    """The family holding samples called ``sample_name`` (a counter's family drops _total)."""
    for family in scrape.get("families", []):
        if any(s[0] == sample_name for s in family["samples"]):
            return dict(family)
    base = sample_name.removesuffix("_total")
    for family in scrape.get("families", []):
        if family["name"] in (sample_name, base):
            return dict(family)
    return None


def exported_names(scrape: dict[str, Any]) -> set[str]:
    """The series names a scrape of the app gives Prometheus: its sample names, and the names
    each family's samples take once observed (a labelled metric shows none until used)."""
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_count", "_sum", "_created"),
        "summary": ("", "_count", "_sum", "_created"),
    }
    names = set()
    for family in scrape.get("families", []):
        names.add(family["name"])
        names.update(family["name"] + end for end in suffixes.get(family["type"], ()))
        names.update(s[0] for s in family["samples"])
    return names


def route_of(labels: dict[str, str]) -> str | None:
    """The route a series is labelled with, whichever of the route labels holds it."""
    for key in ROUTE_LABELS:
        if key in labels:
            return labels[key]
    return None


def series_text(labels: dict[str, str], value: float, was: float | None = None) -> str:
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    change = "" if was is None else f" (was {was:g})"
    return f"{{{inner}}} {value:g}{change}"


def keyed(found: list[Sample], drop: tuple[str, ...] = ()) -> dict[LabelKey, float]:
    """Samples by their label set (without the labels in ``drop``), values summed."""
    out: dict[LabelKey, float] = {}
    for _, labels, value in found:
        key = tuple(sorted((k, v) for k, v in labels.items() if k not in drop))
        out[key] = out.get(key, 0.0) + value
    return out


# -- Grafana ---------------------------------------------------------------------------------


@dataclass
class Traffic:
    """Three scrapes of /metrics: known requests between the first two (each kind timed by the
    check), one slow prediction between the last two."""

    token: str  # in the unknown path: no label may hold it
    statuses: dict[str, list[int]] = field(default_factory=dict)  # what the app answered
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per kind of request
    prices: list[float] = field(default_factory=list)  # the prices the valid requests got
    routes: set[str] = field(default_factory=set)  # the paths of the app's OpenAPI schema
    scrape_status: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    parsed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def scraped(self) -> bool:
        return bool(self.scrape_status) and set(self.scrape_status) == {200}

    @property
    def before(self) -> dict[str, Any]:
        return self.parsed[0]

    @property
    def after(self) -> dict[str, Any]:
        return self.parsed[1]

    @property
    def last(self) -> dict[str, Any]:
        return self.parsed[-1]


@dataclass(frozen=True)
class Query:
    dashboard: str  # file name
    panel: str  # panel title
    raw: str  # as the dashboard holds it
    expr: str  # PromQL: the dashboard's variables and Grafana's own replaced by their values


def load_dashboard(path: Path) -> dict[str, Any]:
    """A dashboard JSON file (also the API's {"dashboard": {...}} wrapping); raises ValueError."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and isinstance(data.get("dashboard"), dict):
        data = data["dashboard"]
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, also those inside rows (new and old dashboard layouts)."""
    stack = list(dashboard.get("panels") or [])
    for row in dashboard.get("rows") or []:
        stack.extend(row.get("panels") or [])
    while stack:
        panel = stack.pop(0)
        if isinstance(panel, dict):
            yield panel
            stack.extend(panel.get("panels") or [])


def queries(name: str, dashboard: dict[str, Any]) -> list[Query]:
    """The PromQL of every panel target that has one, with the dashboard's variables put in."""
    values = variable_values(dashboard)
    found = []
    for panel in panels(dashboard):
        for target in panel.get("targets") or []:
            expr = target.get("expr") if isinstance(target, dict) else None
            if isinstance(expr, str) and expr.strip():
                title = str(panel.get("title") or "(untitled)")
                found.append(Query(name, title, expr, grafana_to_promql(expr, values)))
    return found


def datasource_refs(dashboard: dict[str, Any]) -> list[tuple[str, Any]]:
    """(panel title, datasource) for every panel and target that names one."""
    refs = []
    for panel in panels(dashboard):
        title = str(panel.get("title") or "(untitled)")
        for owner in [panel, *(t for t in panel.get("targets") or [] if isinstance(t, dict))]:
            if owner.get("datasource") is not None:
                refs.append((title, owner["datasource"]))
    return refs


def template_variables(dashboard: dict[str, Any]) -> set[str]:
    listed = (dashboard.get("templating") or {}).get("list") or []
    return {str(v.get("name")) for v in listed if isinstance(v, dict)}


def variable_values(dashboard: dict[str, Any]) -> dict[str, str]:
    """Each dashboard variable's value as Grafana puts it into a query: its ``current`` value
    (several as a regex alternation, "All" as .*), else its first option or query item."""
    values = {}
    for variable in (dashboard.get("templating") or {}).get("list") or []:
        if not isinstance(variable, dict) or not variable.get("name"):
            continue
        value = first_value(variable)
        if value is not None:
            values[str(variable["name"])] = value
    return values


def first_value(variable: dict[str, Any]) -> str | None:
    current = variable.get("current")
    current = current if isinstance(current, dict) else {}
    options = [o for o in variable.get("options") or [] if isinstance(o, dict)]
    value = current.get("value", options[0].get("value") if options else None)
    if value is None and isinstance(variable.get("query"), str):
        value = variable["query"].split(",")[0].strip() or None
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else "(" + "|".join(map(str, value)) + ")"
    if value is None:
        return None
    return ".*" if str(value) in ("$__all", "All") else str(value)


def grafana_to_promql(expr: str, variables: dict[str, str] | None = None) -> str:
    """Put values into Grafana's variables: the dashboard's own (``variables``), then Grafana's
    built-in ones ($__rate_interval...) as values of their kind. Unknown ones stay."""
    known = {**GRAFANA_VARIABLES, **(variables or {})}

    def value(match: re.Match[str]) -> str:
        name = next(g for g in match.groups() if g)
        return known.get(name, match.group(0))

    return GRAFANA_VARIABLE.sub(value, expr)


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


# -- what a query's selectors can select ------------------------------------------------------

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


# -- prometheus.yml and compose.yaml ---------------------------------------------------------


def read_yaml(path: Path) -> Any:
    """A YAML file's content; raises ValueError with yaml's message."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(str(exc).replace("\n", " ")) from None


DURATION = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def seconds(duration: str) -> float | None:
    """A Prometheus duration (1h30m, 15s, 500ms) in seconds, or None when it is not one."""
    parts = DURATION.findall(duration.strip())
    if not parts or "".join(n + u for n, u in parts) != duration.strip():
        return None
    return sum(int(n) * UNIT_SECONDS[u] for n, u in parts)


def scrape_jobs(config: Any) -> list[dict[str, Any]]:
    jobs = config.get("scrape_configs") if isinstance(config, dict) else None
    return [j for j in jobs or [] if isinstance(j, dict)]


def static_targets(job: dict[str, Any]) -> list[str]:
    return [
        str(target)
        for group in job.get("static_configs") or []
        if isinstance(group, dict)
        for target in group.get("targets") or []
    ]


def recording_rules(config_path: Path) -> dict[str, str]:
    """Recording rules (name -> expression) from the rule files a prometheus.yml loads
    (dashboards may use them); unreadable files are left to promtool's own check."""
    try:
        config = read_yaml(config_path)
    except ValueError:
        return {}
    files = config.get("rule_files") if isinstance(config, dict) else None
    rules: dict[str, str] = {}
    for pattern in files or []:
        for path in sorted(config_path.parent.glob(str(pattern))):
            try:
                content = read_yaml(path)
            except ValueError:
                continue
            for group in (content or {}).get("groups") or []:
                for rule in (group or {}).get("rules") or []:
                    if isinstance(rule, dict) and "record" in rule:
                        rules[str(rule["record"])] = str(rule.get("expr", ""))
    return rules


def known_of(config_path: Path, routes: set[str]) -> Known:
    """The jobs prometheus.yml scrapes and the labels it adds to their series."""
    try:
        jobs = scrape_jobs(read_yaml(config_path))
    except ValueError:
        jobs = []
    labels = {"job", "instance"}
    for job in jobs:
        for group in job.get("static_configs") or []:
            labels |= set((group.get("labels") or {}) if isinstance(group, dict) else {})
        for relabel in (job.get("relabel_configs") or []) + (
            job.get("metric_relabel_configs") or []
        ):
            if isinstance(relabel, dict) and relabel.get("target_label"):
                labels.add(str(relabel["target_label"]))
    return Known({str(j.get("job_name")) for j in jobs}, labels, routes)


def normal(path: str) -> str:
    return path.strip().removeprefix("./").rstrip("/")
