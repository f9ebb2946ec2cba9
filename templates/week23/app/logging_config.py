"""One JSON object per log line, and a request id that ties together the lines of a request.

app/main.py calls configure_logging() once, at import, and registers with_request_id as the
outermost HTTP middleware. uvicorn's own loggers are sent through the same JSON handler.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")  # never trust a header blindly into logs
log = logging.getLogger("app")
access_log = logging.getLogger("app.access")


class RequestIdFilter(logging.Filter):
    """Copies the current request's id into every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # uvicorn set up its own plain-text loggers before it imported this app: send them through
    # the JSON handler too, and silence its access log (with_request_id logs one JSON access
    # line per request, with the request id).
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").handlers.clear()
    logging.getLogger("uvicorn.access").disabled = True


async def with_request_id(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    incoming = request.headers.get("X-Request-ID", "")
    rid = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
    token = request_id.set(rid)
    start = time.perf_counter()
    try:
        try:
            response = await call_next(request)
        except Exception:
            # Logged here, where the request id is still set; the client gets no details.
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            response = JSONResponse(status_code=500, content={"detail": "internal server error"})
        response.headers["X-Request-ID"] = rid
        access_log.info(
            "request served",
            extra={
                "fields": {
                    "method": request.method,
                    "path": request.url.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 1),
                }
            },
        )
        return response
    finally:
        request_id.reset(token)
