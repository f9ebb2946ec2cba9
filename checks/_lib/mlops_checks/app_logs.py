"""A session of requests to the learner's running app, and everything the app then logged.

The app's output is unbuffered (PYTHONUNBUFFERED=1) and goes to the server's log file, which is
read whole once the session's last line is in.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_checks.api import Http

LOG_WAIT = 5.0  # seconds at most to wait for the session's lines to reach the log
SETTLED = 0.5  # the log counts as complete once it has not grown for this long


@dataclass(frozen=True)
class Sent:
    """One request of the session: what was sent and what came back."""

    method: str
    path: str
    request_id: str | None  # the X-Request-ID sent, None when none was
    status: int
    echoed: str | None  # the X-Request-ID answered
    body: str


@dataclass
class LogSession:
    canaries: dict[str, str]  # what -> the value that must never reach the logs
    number_canary: str  # a value sent as a number: matched as a whole number
    sent: dict[str, Sent] = field(default_factory=dict)
    text: str = ""  # everything the app wrote to stdout and stderr, start-up included

    @property
    def lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()]

    def records(self) -> list[dict[str, Any]]:
        """The lines that are JSON objects."""
        out = []
        for line in self.lines:
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                out.append(value)
        return out


def send(http: Http, method: str, path: str, rid: str | None, **kwargs: Any) -> Sent:
    headers = {"X-Request-ID": rid} if rid else {}
    answer = http.request(method, path, headers=headers, **kwargs)
    return Sent(
        method, path, rid, answer.status_code, answer.headers.get("X-Request-ID"), answer.text
    )


def read_settled(log: Path, last: str) -> str:
    """The server's log once the session's lines are in: once the last request's id shows
    and the file has stopped growing (or it stopped growing without it, or LOG_WAIT ran out).

    Output is unbuffered (PYTHONUNBUFFERED=1) and an access line is written before its answer
    is sent, so this is quick; the wait covers apps that log after answering."""
    deadline, size, still_since = time.monotonic() + LOG_WAIT, -1, time.monotonic()
    while time.monotonic() < deadline:
        now = log.stat().st_size if log.exists() else 0
        if now != size:
            size, still_since = now, time.monotonic()
        elif time.monotonic() - still_since >= (0.1 if last in text(log) else SETTLED):
            break
        time.sleep(0.05)
    return text(log)


def text(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
