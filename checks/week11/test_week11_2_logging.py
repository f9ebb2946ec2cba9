"""Week 11: the app's log is JSON, one access line per request carries its request id, the id
is echoed, errors are logged with their traceback, and no payload or secret reaches the log.

The `log_session` fixture sends six requests to the one running app and reads everything the
app wrote to stdout and stderr since it started (uvicorn's own lines included).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest
from conftest import PREDICTED

from mlops_checks import api
from mlops_checks.app_logs import LogSession
from mlops_roadmap.checking import expect, expect_none

pytestmark = pytest.mark.timeout(420)
TIME_KEYS = ("ts", "time", "timestamp", "@timestamp")
LEVEL_KEYS = ("level", "levelname", "severity")
MESSAGE_KEYS = ("message", "msg")
LATENCY_KEYS = ("duration_ms", "latency_ms", "duration_s", "latency_s")
LEVELS = {"DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL"}
WITH_ID = ("valid", "invalid", "error", "unknown")  # the requests sent with an X-Request-ID
LEAKS = ("Traceback", 'File "', "deliberate error")


def first(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((record[k] for k in keys if k in record), None)


def iso_time(value: Any) -> bool:
    try:
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return False
    return isinstance(value, str)


def line_problem(line: str) -> str | None:
    """What is wrong with one log line, or None."""
    try:
        record = json.loads(line)
    except ValueError:
        return f"not JSON: {line[:140]}"
    if not isinstance(record, dict):
        return f"not a JSON object: {line[:140]}"
    missing = []
    if not iso_time(first(record, TIME_KEYS)):
        missing.append("ts (an ISO 8601 time)")
    if str(first(record, LEVEL_KEYS)).upper() not in LEVELS:
        missing.append("level")
    if not isinstance(first(record, MESSAGE_KEYS), str):
        missing.append("message")
    return f"lacks {', '.join(missing)}: {line[:140]}" if missing else None


def number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


@pytest.mark.points(2)
def test_every_line_is_json(log_session: LogSession) -> None:
    """Every line the app logs is a JSON object with a time, a level and a message"""
    lines = log_session.lines
    problems = [p for p in map(line_problem, lines) if p]
    expect(
        lines and not problems,
        expected="every line the app writes (uvicorn's included) to be one JSON object with "
        "ts (ISO 8601), level and message",
        found=f"{len(problems)} of {len(lines)} lines are not; e.g. " + " | ".join(problems[:3])
        if lines
        else "the app wrote nothing",
        hint="Finish JsonFormatter.format in app/logging_config.py and call configure_logging() "
        "at import (it also routes uvicorn's loggers through the JSON handler).",
    )


@pytest.mark.points(2)
def test_access_lines(log_session: LogSession) -> None:
    """Every request is logged with its request id, path, status and latency"""
    records = log_session.records()
    problems = []
    for kind in WITH_ID:
        sent = log_session.sent[kind]
        mine = [r for r in records if r.get("request_id") == sent.request_id]
        access = [
            r
            for r in mine
            # The path that matched no route may be logged as it came or as a fixed name.
            if (
                r.get("path") == sent.path or (kind == "unknown" and isinstance(r.get("path"), str))
            )
            and str(r.get("status")) == str(sent.status)
            and number(first(r, LATENCY_KEYS))
        ]
        if not access:
            shown = (
                api.quote(json.dumps(max(mine, key=len)), 240)
                if mine
                else "no line with that request_id"
            )
            problems.append(f"{sent.method} {sent.path} ({sent.status}): {shown}")
    expect_none(
        problems,
        expected="for each request sent with an X-Request-ID, a log line with request_id set to "
        "it, path, status (the status it answered) and duration_ms",
        hint='In with_request_id, after the response: access_log.info("request served", '
        'extra={"fields": {"method": ..., "path": request.url.path, "status": '
        'response.status_code, "duration_ms": ...}}); the formatter adds the fields.',
        shown=3,
    )


@pytest.mark.points(1)
def test_request_id_echoed(log_session: LogSession) -> None:
    """X-Request-ID is echoed back, and one is made when none, or an unsafe one, is sent"""
    wrong = [
        f"{s.method} {s.path} sent {s.request_id}, got {s.echoed}"
        for s in (log_session.sent[k] for k in WITH_ID)
        if s.echoed != s.request_id
    ]
    made = [log_session.sent["no-id-1"].echoed, log_session.sent["no-id-2"].echoed]
    if not all(made) or made[0] == made[1]:
        wrong.append(f"two requests without X-Request-ID got {made[0]} and {made[1]}")
    long = log_session.sent["oversized"]
    assert long.request_id is not None
    if not long.echoed or long.echoed == long.request_id:
        wrong.append(
            f"GET /health sent an X-Request-ID of {len(long.request_id):,} characters, got "
            + (f"it back ({api.quote(long.request_id, 40)})" if long.echoed else "none")
        )
    if long.request_id in log_session.text:
        wrong.append(f"the {len(long.request_id):,}-character X-Request-ID reached the log")
    hint = (
        "Validate the incoming id before you use it, as the scaffold's _VALID_ID does "
        "(letters, digits and dashes, at most 64), and make a new one otherwise."
        if any("characters" in w for w in wrong)
        else "Set response.headers['X-Request-ID'] = rid in with_request_id, also on the 500 "
        "answer it makes for an unhandled error."
    )
    expect_none(
        wrong,
        expected="the X-Request-ID header answered on every response: the one sent, or a new "
        f"one for each request that sent none or one of {len(long.request_id):,} characters "
        "(which must never reach the log)",
        hint=hint,
        shown=3,
    )


@pytest.mark.points(1)
def test_error_logged(log_session: LogSession) -> None:
    """An internal error is logged with its traceback and request id, and answered in JSON"""
    sent = log_session.sent["error"]
    is_object, leaks = api.error_answer(sent.body, LEAKS)
    expect(
        sent.status == 500 and is_object and not leaks,
        expected=f"GET {api.ERROR_ROUTE} (it raises RuntimeError) to answer 500 with a JSON "
        "object and no traceback",
        found=f"status {sent.status}: {api.quote(sent.body)}",
        hint="In with_request_id, catch Exception around call_next and answer "
        'JSONResponse(status_code=500, content={"detail": "internal server error"}).',
    )
    errors = [
        r
        for r in log_session.records()
        if r.get("request_id") == sent.request_id
        and str(first(r, LEVEL_KEYS)).upper() in ("ERROR", "CRITICAL")
        and "RuntimeError" in json.dumps(r)
    ]
    expect(
        errors,
        expected=f"an ERROR log line with request_id {sent.request_id} holding the exception "
        "(its traceback, with RuntimeError)",
        found="none; that request's lines: "
        + (
            " | ".join(
                api.quote(json.dumps(r), 200)
                for r in log_session.records()
                if r.get("request_id") == sent.request_id
            )
            or "none"
        ),
        hint="log.exception(...) inside the except block of with_request_id, and in "
        'JsonFormatter: entry["exception"] = self.formatException(record.exc_info).',
    )


@pytest.mark.points(2)
def test_no_payload_or_secret_in_logs(log_session: LogSession) -> None:
    """Request payloads and secrets never appear in the logs"""
    found = []
    text = log_session.text
    for what, value in log_session.canaries.items():
        if value in text:
            line = next(ln for ln in text.splitlines() if value in ln)
            found.append(f"{what} ({value}) in: {api.excerpt(line, value)}")
    whole = re.compile(rf"(?<![0-9A-Za-z.]){log_session.number_canary}(?![0-9A-Za-z])")
    for line in text.splitlines():
        if whole.search(line):
            found.append(
                f"the lot_area sent in a valid request ({log_session.number_canary}) in: "
                f"{api.excerpt(line, log_session.number_canary)}"
            )
            break
    expect_none(
        found,
        expected="no request payload value and no secret anywhere in the app's output (the "
        "check sent canary values in the payloads and set MODEL_REGISTRY_TOKEN to a canary)",
        hint="Log ids, counts and decisions, never request bodies, validation error inputs or "
        "settings that hold credentials.",
        shown=3,
    )


def access_line(record: dict[str, Any]) -> bool:
    return "status" in record and "path" in record


def says(record: dict[str, Any], value: str) -> bool:
    """Whether a record holds ``value`` as a field of its own or as a word of its message."""
    fields = [v for k, v in record.items() if k not in (*TIME_KEYS, *LEVEL_KEYS, "logger")]
    return (
        any(str(v) == value for v in fields)
        or re.search(
            rf"(?<![\w.]){re.escape(value)}(?![\w.])", str(first(record, MESSAGE_KEYS) or "")
        )
        is not None
    )


@pytest.mark.points(1)
def test_prediction_logged(log_session: LogSession) -> None:
    """Each prediction is logged with its request id, how many houses and the model version"""
    sent = log_session.sent["valid"]
    try:
        version = str(json.loads(sent.body)["model_version"])
    except (ValueError, KeyError, TypeError):
        version = ""
    mine = [
        r
        for r in log_session.records()
        if r.get("request_id") == sent.request_id and not access_line(r)
    ]
    count = str(PREDICTED)
    expect(
        any(says(r, count) and (not version or says(r, version)) for r in mine),
        expected=f"besides the access line, a log line of POST /predict (request_id "
        f"{sent.request_id}) saying how many houses it priced ({count}) and the model version "
        f"({version or 'the one it answered'}), as fields or in its message",
        found="; ".join(api.quote(json.dumps(r), 200) for r in mine) or "no such line",
        hint='In predict(): log.info("prediction served", extra={"fields": {"houses": '
        'len(prices), "model_version": MODEL_VERSION}}), after predicting; never the houses '
        "themselves.",
    )
