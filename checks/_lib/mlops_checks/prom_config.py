"""prometheus.yml: its scrape jobs and targets, the recording rules it loads, durations, and
what its series can hold (``known_of``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from mlops_checks.promql import Known


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
