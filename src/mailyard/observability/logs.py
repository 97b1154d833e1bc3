"""Logs as text lines or, with MAILYARD_LOG_FORMAT=json, one JSON object a line.

Each JSON line carries the request id of the HTTP request it was logged under, and the account, task, run
and delivery a log call names in `extra={"task": ...}`. Nothing here adds values a caller sent: secrets stay
out because no log call passes one, and the database engines hide statement parameters.
"""

from __future__ import annotations

import json
import logging
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from starlette.types import ASGIApp, Receive, Scope, Send

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONTEXT_FIELDS = ("account", "task", "run", "delivery")
request_id: ContextVar[str | None] = ContextVar("mailyard_request_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = request_id.get()
        if current is not None:
            document["request_id"] = current
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                document[name] = value
        if record.exc_info:
            document["error"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str, ensure_ascii=False)


def configure_logging(log_format: str) -> None:
    """Everything on stderr at INFO, uvicorn's loggers included (they propagate to the root handler)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


class RequestIds:
    """ASGI middleware: every HTTP request gets an id that the log lines written while serving it carry."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        token = request_id.set(uuid.uuid4().hex[:16])
        try:
            await self._app(scope, receive, send)
        finally:
            request_id.reset(token)
