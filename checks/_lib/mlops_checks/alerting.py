"""Week 11 helpers: the learner's alerting rules, and check-owned `promtool test rules` cases.

The cases feed the learner's rules synthetic series named as the lesson says the rules must
use them (the week 10 metrics, scraped as job housing-api):

    http_requests_total{job, instance, method, endpoint, path, handler, status}
    http_request_duration_seconds_bucket|_count|_sum{job, instance, method, endpoint, path,
                                                     handler, le}
    up{job, instance}

with the route in endpoint, path and handler alike (whichever label the rules select), 100
requests a minute, and assert on the ALERTS series Prometheus writes when an alert fires, so
that the learner's own labels and annotations do not matter. Standard library and PyYAML only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

COUNTER = "http_requests_total"
HISTOGRAM = "http_request_duration_seconds"
JOB = "housing-api"
LABELS = {
    "job": JOB,
    "instance": "app:8000",
    "method": "POST",
    "endpoint": "/predict",
    "path": "/predict",
    "handler": "/predict",
}
PER_MINUTE = 100  # requests a minute in every case
# prometheus_client's default buckets and the lesson's, as prometheus_client writes them; the
# `le` values a rule names are added (a rule may select one bucket, such as le="0.25").
BUCKETS: tuple[str, ...] = ("0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5")
BUCKETS += ("0.75", "1.0", "2.5", "5.0", "7.5", "10.0")
FIVE_XX = re.compile(r'status\s*=~?\s*"5')
LE_LITERAL = re.compile(r'le\s*=\s*"([0-9.eE+-]+)"')

# The behaviour the lesson promises, in minutes.
HEALTHY_MINUTES = 20  # healthy traffic first
ERROR_FIRES_AFTER = 10  # the error-rate alert fires 10 minutes after 10% of requests fail
LATENCY_FIRES_AFTER = 30  # the latency alert fires 30 minutes after requests take 3 s
QUIET_MINUTES = 60  # quiet for an hour at 1% errors and 10 ms latency
SLOW_SECONDS = 3.0
FAST_SECONDS = 0.01


@dataclass(frozen=True)
class Rule:
    file: str
    group: str
    data: dict[str, Any]

    @property
    def alert(self) -> str | None:
        name = self.data.get("alert")
        return str(name) if name is not None else None

    @property
    def record(self) -> str | None:
        name = self.data.get("record")
        return str(name) if name is not None else None

    @property
    def expr(self) -> str:
        return str(self.data.get("expr", ""))


def load_rules(paths: list[Path]) -> list[Rule]:
    """Every rule of the given rule files; raises ValueError naming a file that is not YAML."""
    rules = []
    for path in paths:
        try:
            content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"{path.name}: {str(exc).splitlines()[0]}") from None
        for group in content.get("groups") or [] if isinstance(content, dict) else []:
            for rule in (group or {}).get("rules") or []:
                if isinstance(rule, dict):
                    rules.append(Rule(path.name, str(group.get("name")), rule))
    return rules


def rule_files(week_dir: Path, alerts: Path) -> list[Path]:
    """alerts.yml and the other rule files prometheus.yml loads (they may hold recording
    rules the alerts use), each once."""
    found = [alerts.resolve()]
    config_path = week_dir / "prometheus.yml"
    try:
        config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        config = {}
    patterns = config.get("rule_files") if isinstance(config, dict) else None
    for pattern in patterns or []:
        for path in sorted(week_dir.glob(str(pattern))):
            if path.resolve() not in found:
                found.append(path.resolve())
    return found


def loaded_by_config(week_dir: Path, alerts: Path) -> bool:
    """Whether prometheus.yml's rule_files take in alerts.yml."""
    try:
        config = yaml.safe_load((week_dir / "prometheus.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return False
    patterns = config.get("rule_files") if isinstance(config, dict) else None
    return any(
        path.resolve() == alerts.resolve()
        for pattern in patterns or []
        for path in week_dir.glob(str(pattern))
    )


def expanded(rule: Rule, rules: list[Rule]) -> str:
    """A rule's expression followed by those of the recording rules it uses (two levels)."""
    text, seen = rule.expr, set()
    for _ in range(2):
        for other in rules:
            if other.record and other.record not in seen and other.record in text:
                seen.add(other.record)
                text += "\n" + other.expr
    return text


def error_alerts(rules: list[Rule]) -> list[Rule]:
    """Alerts on the share of 5xx answers: they use the counter with a 5xx status matcher."""
    return [
        r
        for r in rules
        if r.alert and COUNTER in (text := expanded(r, rules)) and FIVE_XX.search(text)
    ]


def latency_alerts(rules: list[Rule]) -> list[Rule]:
    """Alerts on latency: they use the latency histogram."""
    return [r for r in rules if r.alert and HISTOGRAM in expanded(r, rules)]


def shortcomings(rule: Rule) -> list[str]:
    """What an alert lacks of `for:`, a severity label and a summary annotation."""
    missing = []
    duration = str(rule.data.get("for", "")).strip()
    if not duration or re.fullmatch(r"0+[smhdwy]?", duration):
        missing.append("for:")
    if not str((rule.data.get("labels") or {}).get("severity", "")).strip():
        missing.append("a severity label")
    if not str((rule.data.get("annotations") or {}).get("summary", "")).strip():
        missing.append("a summary annotation")
    return missing


# -- check-owned promtool cases --------------------------------------------------------------


def series_name(name: str, labels: dict[str, str]) -> str:
    inner = ", ".join(f"{k}={json.dumps(v)}" for k, v in labels.items())
    return f"{name}{{{inner}}}"


def cumulative(per_minute: list[float]) -> str:
    """A counter's values, one a minute, from per-minute increases (starting at 0)."""
    total, values = 0.0, ["0"]
    for step in per_minute:
        total += step
        values.append(f"{total:g}" if total == int(total) else repr(round(total, 6)))
    return " ".join(values)


def traffic(
    error_ratios: list[float], latencies: list[float], buckets: list[str]
) -> list[dict[str, str]]:
    """Input series for one case: minute by minute, the share of 5xx and every request's
    latency in seconds."""
    ok = [PER_MINUTE * (1 - e) for e in error_ratios]
    bad = [PER_MINUTE * e for e in error_ratios]
    series = [
        {"series": series_name(COUNTER, {**LABELS, "status": "200"}), "values": cumulative(ok)},
        {"series": series_name(COUNTER, {**LABELS, "status": "500"}), "values": cumulative(bad)},
        {
            "series": series_name("up", {"job": JOB, "instance": LABELS["instance"]}),
            "values": " ".join("1" for _ in range(len(latencies) + 1)),
        },
    ]
    for le in [*buckets, "+Inf"]:
        bound = float(le.replace("+Inf", "inf"))
        counts = [float(PER_MINUTE) if lat <= bound else 0.0 for lat in latencies]
        labels = {**LABELS, "le": le}
        series.append(
            {"series": series_name(f"{HISTOGRAM}_bucket", labels), "values": cumulative(counts)}
        )
    series.append(
        {
            "series": series_name(f"{HISTOGRAM}_count", LABELS),
            "values": cumulative([PER_MINUTE] * len(latencies)),
        }
    )
    series.append(
        {
            "series": series_name(f"{HISTOGRAM}_sum", LABELS),
            "values": cumulative([PER_MINUTE * lat for lat in latencies]),
        }
    )
    return series


def buckets_for(rules: list[Rule]) -> list[str]:
    """The bucket bounds of the case histograms: the defaults and any le a rule names."""
    named = {m for r in rules for m in LE_LITERAL.findall(r.expr)}
    return sorted(set(BUCKETS) | named, key=float)


def firing(alert: str) -> str:
    return f'ALERTS{{alertname={json.dumps(alert)}, alertstate="firing"}}'


def fires_case(alert: str, series: list[dict[str, str]], at_minute: int) -> dict[str, Any]:
    """A test group: the alert is firing at ``at_minute``."""
    firing_now = [{"labels": "{}", "value": 1}]
    return rule_test(series, f"max({firing(alert)})", at_minute, firing_now)


def quiet_case(alert: str, series: list[dict[str, str]], minutes: int) -> dict[str, Any]:
    """A test group: the alert never fires during the first ``minutes``."""
    return rule_test(series, f"count_over_time({firing(alert)}[{minutes + 1}m])", minutes, [])


def rule_test(
    series: list[dict[str, str]], expr: str, minute: int, samples: list[dict[str, Any]]
) -> dict[str, Any]:
    """A promtool test group: ``expr`` evaluated at ``minute`` gives ``samples``."""
    test = {"expr": expr, "eval_time": f"{minute}m", "exp_samples": samples}
    return {"interval": "1m", "input_series": series, "promql_expr_test": [test]}


def case_file(rule_paths: list[Path], case: dict[str, Any]) -> str:
    """A `promtool test rules` file running one case on the learner's rule files."""
    return yaml.safe_dump(
        {
            "rule_files": [str(p) for p in rule_paths],
            "evaluation_interval": "1m",
            "tests": [case],
        },
        sort_keys=False,
        width=10_000,
    )


def error_cases(alert: str, buckets: list[str]) -> dict[str, dict[str, Any]]:
    """'fires': 0% errors for 20 minutes then 10%, firing 10 minutes later; 'quiet': 1% errors
    for an hour, never firing. Latency stays at 10 ms."""
    before, after = HEALTHY_MINUTES, ERROR_FIRES_AFTER
    jump = traffic([0.0] * before + [0.10] * after, [FAST_SECONDS] * (before + after), buckets)
    steady = traffic([0.01] * QUIET_MINUTES, [FAST_SECONDS] * QUIET_MINUTES, buckets)
    return {
        "fires": fires_case(alert, jump, before + after),
        "quiet": quiet_case(alert, steady, QUIET_MINUTES),
    }


def latency_cases(alert: str, buckets: list[str]) -> dict[str, dict[str, Any]]:
    """'fires': 10 ms for 20 minutes then 3 s, firing 30 minutes later; 'quiet': 10 ms for an
    hour, never firing. No errors."""
    before, after = HEALTHY_MINUTES, LATENCY_FIRES_AFTER
    slow = traffic(
        [0.0] * (before + after), [FAST_SECONDS] * before + [SLOW_SECONDS] * after, buckets
    )
    steady = traffic([0.0] * QUIET_MINUTES, [FAST_SECONDS] * QUIET_MINUTES, buckets)
    return {
        "fires": fires_case(alert, slow, before + after),
        "quiet": quiet_case(alert, steady, QUIET_MINUTES),
    }


def tested_alerts(path: Path) -> set[str]:
    """The alert names a promtool test file asserts on (alert_rule_test entries)."""
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return set()
    return {
        str(entry.get("alertname"))
        for test in (content.get("tests") or [] if isinstance(content, dict) else [])
        if isinstance(test, dict)
        for entry in test.get("alert_rule_test") or []
        if isinstance(entry, dict)
    }
