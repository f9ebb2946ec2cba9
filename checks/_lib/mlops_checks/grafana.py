"""Grafana dashboards: their panels, queries, data sources and variables, and a query's
PromQL with the variables put in. Standard library only."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Grafana's own variables, replaced by values of the same kind before promtool sees a query.
GRAFANA_VARIABLES = {
    "__rate_interval": "5m",
    "__interval": "1m",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
    "__interval_ms": "60000",
}
# $name, ${name}, ${name:format}, [[name]], [[name:format]]
GRAFANA_VARIABLE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)")


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
