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

from mlops_checks.promql import metric_names

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
PER_MINUTE = 100  # requests a minute, unless a case says otherwise
RATES = (10, 100, 1000)  # the traffic rates the error and latency alerts are tried at
# prometheus_client's default buckets and the lesson's, as prometheus_client writes them; the
# `le` values a rule names are added (a rule may select one bucket, such as le="0.25").
BUCKETS: tuple[str, ...] = ("0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5")
BUCKETS += ("0.75", "1.0", "2.5", "5.0", "7.5", "10.0")
FIVE_XX = re.compile(r'status\s*=~?\s*"5')
RUNBOOK_KEYS = ("runbook_url", "runbook")
LE_LITERAL = re.compile(r'le\s*=\s*"([0-9.eE+-]+)"')

# The behaviour the lesson promises, in minutes.
HEALTHY_MINUTES = 20  # healthy traffic first
ERROR_FIRES_AFTER = 10  # the error-rate alert fires 10 minutes after 10% of requests fail
LATENCY_FIRES_AFTER = 30  # the latency alert fires 30 minutes after requests take 3 s
QUIET_MINUTES = 60  # quiet for an hour at 1% errors and 10 ms latency
DOWN_FIRES_AFTER = 5  # the service-down alert fires 5 minutes after the target goes down
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


def down_alerts(rules: list[Rule]) -> list[Rule]:
    """Alerts on the service being down: they use Prometheus' `up` series of the target."""
    return [r for r in rules if r.alert and "up" in metric_names(expanded(r, rules))]


KINDS = {"down": down_alerts, "error": error_alerts, "latency": latency_alerts}


def shortcomings(rule: Rule) -> list[str]:
    """What an alert lacks of `for:`, a severity label, a summary and a runbook link."""
    missing = []
    duration = str(rule.data.get("for", "")).strip()
    if not duration or re.fullmatch(r"0+[smhdwy]?", duration):
        missing.append("for:")
    if not str((rule.data.get("labels") or {}).get("severity", "")).strip():
        missing.append("a severity label")
    annotations = rule.data.get("annotations") or {}
    if not str(annotations.get("summary", "")).strip():
        missing.append("a summary annotation")
    if not any(str(annotations.get(k, "")).strip() for k in RUNBOOK_KEYS):
        missing.append("a runbook_url annotation")
    return missing


# -- check-owned promtool cases --------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One check-owned promtool test group, and what it proves in words."""

    name: str  # "fires at 10% errors, 1,000 requests a minute"
    fires: bool  # whether the alert must be firing (else: never firing)
    group: dict[str, Any]


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
    error_ratios: list[float],
    latencies: list[float],
    buckets: list[str],
    per_minute: float = PER_MINUTE,
    up: list[int] | None = None,
) -> list[dict[str, str]]:
    """Input series for one case: minute by minute, the share of 5xx, every request's latency
    in seconds, and whether the target is up."""
    ok = [per_minute * (1 - e) for e in error_ratios]
    bad = [per_minute * e for e in error_ratios]
    ups = up if up is not None else [1] * (len(latencies) + 1)
    series = [
        {"series": series_name(COUNTER, {**LABELS, "status": "200"}), "values": cumulative(ok)},
        {"series": series_name(COUNTER, {**LABELS, "status": "500"}), "values": cumulative(bad)},
        {
            "series": series_name("up", {"job": JOB, "instance": LABELS["instance"]}),
            "values": " ".join(map(str, ups)),
        },
    ]
    for le in [*buckets, "+Inf"]:
        bound = float(le.replace("+Inf", "inf"))
        counts = [float(per_minute) if lat <= bound else 0.0 for lat in latencies]
        labels = {**LABELS, "le": le}
        series.append(
            {"series": series_name(f"{HISTOGRAM}_bucket", labels), "values": cumulative(counts)}
        )
    series.append(
        {
            "series": series_name(f"{HISTOGRAM}_count", LABELS),
            "values": cumulative([per_minute] * len(latencies)),
        }
    )
    series.append(
        {
            "series": series_name(f"{HISTOGRAM}_sum", LABELS),
            "values": cumulative([per_minute * lat for lat in latencies]),
        }
    )
    return series


def buckets_for(rules: list[Rule]) -> list[str]:
    """The bucket bounds of the case histograms: the defaults and any le a rule names."""
    named = {m for r in rules for m in LE_LITERAL.findall(r.expr)}
    return sorted(set(BUCKETS) | named, key=float)


def firing(alert: str) -> str:
    return f'ALERTS{{alertname={json.dumps(alert)}, alertstate="firing"}}'


def fires_case(name: str, alert: str, series: list[dict[str, str]], at_minute: int) -> Case:
    """The alert is firing at ``at_minute``."""
    firing_now = [{"labels": "{}", "value": 1}]
    return Case(name, True, rule_test(series, f"max({firing(alert)})", at_minute, firing_now))


def quiet_case(name: str, alert: str, series: list[dict[str, str]], minutes: int) -> Case:
    """The alert never fires during the first ``minutes``."""
    expr = f"count_over_time({firing(alert)}[{minutes + 1}m])"
    return Case(name, False, rule_test(series, expr, minutes, []))


def rule_test(
    series: list[dict[str, str]], expr: str, minute: int, samples: list[dict[str, Any]]
) -> dict[str, Any]:
    """A promtool test group: ``expr`` evaluated at ``minute`` gives ``samples``."""
    test = {"expr": expr, "eval_time": f"{minute}m", "exp_samples": samples}
    return {"interval": "1m", "input_series": series, "promql_expr_test": [test]}


def cases_file(rule_paths: list[Path], cases: list[Case]) -> str:
    """A `promtool test rules` file running the cases on the learner's rule files; each case's
    expression ends in a PromQL comment naming it, which promtool echoes when it fails."""
    groups = []
    for number, case in enumerate(cases):
        test = dict(case.group["promql_expr_test"][0])
        test["expr"] = f"{test['expr']} # case {number}"
        groups.append({**case.group, "promql_expr_test": [test]})
    return yaml.safe_dump(
        {"rule_files": [str(p) for p in rule_paths], "evaluation_interval": "1m", "tests": groups},
        sort_keys=False,
        width=10_000,
    )


def failed_cases(output: str) -> dict[int, str]:
    """Case number -> what promtool got instead (its `got:` line), from `promtool test rules`
    output on a cases_file()."""
    failed = {}
    for match in re.finditer(
        r"# case (\d+)\\?\",? time: [^\n]*\n\s*exp: [^\n]*\n\s*got: ([^\n]*)", output
    ):
        failed[int(match.group(1))] = match.group(2).strip()
    return failed


def rate_words(per_minute: int) -> str:
    return f"{per_minute:,} requests a minute"


def error_cases(alert: str, buckets: list[str]) -> list[Case]:
    """At each rate: 'fires' with 0% errors for 20 minutes then 10%, firing 10 minutes later;
    'quiet' with 1% errors for an hour, never firing. Latency stays at 10 ms."""
    before, after = HEALTHY_MINUTES, ERROR_FIRES_AFTER
    cases = []
    for rate in RATES:
        jump = traffic([0.0] * before + [0.10] * after, [FAST_SECONDS] * (before + after),
                       buckets, rate)  # fmt: skip
        steady = traffic([0.01] * QUIET_MINUTES, [FAST_SECONDS] * QUIET_MINUTES, buckets, rate)
        cases += [
            fires_case(f"10% errors at {rate_words(rate)}", alert, jump, before + after),
            quiet_case(f"1% errors at {rate_words(rate)}", alert, steady, QUIET_MINUTES),
        ]
    return cases


def latency_cases(alert: str, buckets: list[str]) -> list[Case]:
    """At each rate: 'fires' with 10 ms for 20 minutes then 3 s, firing 30 minutes later;
    'quiet' with 10 ms for an hour, never firing. No errors."""
    before, after = HEALTHY_MINUTES, LATENCY_FIRES_AFTER
    cases = []
    for rate in RATES:
        slow = traffic([0.0] * (before + after),
                       [FAST_SECONDS] * before + [SLOW_SECONDS] * after, buckets, rate)  # fmt: skip
        steady = traffic([0.0] * QUIET_MINUTES, [FAST_SECONDS] * QUIET_MINUTES, buckets, rate)
        cases += [
            fires_case(f"{SLOW_SECONDS:g} s at {rate_words(rate)}", alert, slow, before + after),
            quiet_case(f"10 ms at {rate_words(rate)}", alert, steady, QUIET_MINUTES),
        ]
    return cases


def down_cases(alert: str, buckets: list[str]) -> list[Case]:
    """'fires': the target up for 20 minutes, then down, firing 5 minutes later; 'quiet': up
    for an hour (healthy traffic throughout), never firing."""
    before, after = HEALTHY_MINUTES, DOWN_FIRES_AFTER
    minutes = before + after
    down = traffic([0.0] * minutes, [FAST_SECONDS] * minutes, buckets,
                   up=[1] * (before + 1) + [0] * after)  # fmt: skip
    steady = traffic([0.0] * QUIET_MINUTES, [FAST_SECONDS] * QUIET_MINUTES, buckets)
    return [
        fires_case("the target down", alert, down, minutes),
        quiet_case("the target up", alert, steady, QUIET_MINUTES),
    ]


def tested_alerts(path: Path) -> dict[str, set[bool]]:
    """Alert name -> how a promtool test file's alert_rule_test entries expect it: True for a
    case where it fires (exp_alerts not empty), False for one where it stays quiet."""
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    tested: dict[str, set[bool]] = {}
    for test in content.get("tests") or [] if isinstance(content, dict) else []:
        for entry in (test.get("alert_rule_test") or []) if isinstance(test, dict) else []:
            if isinstance(entry, dict):
                fires = bool(entry.get("exp_alerts"))
                tested.setdefault(str(entry.get("alertname")), set()).add(fires)
    return tested
