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
    """Two scrapes of /metrics with known requests between them."""

    token: str  # in the unknown path: no label may hold it
    statuses: dict[str, list[int]] = field(default_factory=dict)  # what the app answered
    scrape_status: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    parsed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def scraped(self) -> bool:
        return self.scrape_status == [200, 200]

    @property
    def before(self) -> dict[str, Any]:
        return self.parsed[0]

    @property
    def after(self) -> dict[str, Any]:
        return self.parsed[1]


@dataclass(frozen=True)
class Query:
    dashboard: str  # file name
    panel: str  # panel title
    expr: str


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
    """The PromQL of every panel target that has one."""
    found = []
    for panel in panels(dashboard):
        for target in panel.get("targets") or []:
            expr = target.get("expr") if isinstance(target, dict) else None
            if isinstance(expr, str) and expr.strip():
                found.append(Query(name, str(panel.get("title") or "(untitled)"), expr))
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


def grafana_to_promql(expr: str) -> str:
    """Replace Grafana's built-in variables ($__rate_interval...) with values of their kind."""

    def value(match: re.Match[str]) -> str:
        return GRAFANA_VARIABLES.get(match.group(1) or match.group(2), match.group(0))

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, expr)


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


def record_names(config_path: Path) -> set[str]:
    """Recording rule names from the rule files a prometheus.yml loads (dashboards may use
    them); unreadable files are left to promtool's own check."""
    try:
        config = read_yaml(config_path)
    except ValueError:
        return set()
    files = config.get("rule_files") if isinstance(config, dict) else None
    names: set[str] = set()
    for pattern in files or []:
        for path in sorted(config_path.parent.glob(str(pattern))):
            try:
                content = read_yaml(path)
            except ValueError:
                continue
            for group in (content or {}).get("groups") or []:
                names.update(
                    str(rule["record"])
                    for rule in (group or {}).get("rules") or []
                    if isinstance(rule, dict) and "record" in rule
                )
    return names


def volume_target(volume: Any, source: str) -> str | None:
    """Where a compose volume entry mounts ``source`` (short or long syntax), else None."""
    if isinstance(volume, str):
        parts = volume.split(":")
        if len(parts) >= 2 and normal(parts[0]) == normal(source):
            return parts[1]
    elif isinstance(volume, dict) and normal(str(volume.get("source", ""))) == normal(source):
        return str(volume.get("target", "")) or None
    return None


def normal(path: str) -> str:
    return path.strip().removeprefix("./").rstrip("/")
