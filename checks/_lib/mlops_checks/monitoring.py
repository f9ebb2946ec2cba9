"""Monitoring helpers: known traffic between two scrapes of /metrics and the parsed scrapes.

The dashboards' side is in ``grafana`` (dashboard files), ``promql`` (what a query selects) and
``prom_config`` (prometheus.yml). Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
