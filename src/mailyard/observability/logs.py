"""Logs as text lines or, with MAILYARD_LOG_FORMAT=json, one JSON object a line.

Each JSON line carries the request id of the HTTP request it was logged under, the account that request was
authenticated as (once a door noted it in the request's scope: the access log line has it), and the account,
task, run and delivery a log call names in `extra={"task": ...}`. Nothing here adds values a caller sent:
secrets stay out because no log call passes one, and the database engines hide statement parameters.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from starlette.types import ASGIApp, Receive, Scope, Send

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONTEXT_FIELDS = ("account", "task", "run", "delivery")
request_id: ContextVar[str | None] = ContextVar("mailyard_request_id", default=None)
#: reads the account the current request was authenticated as, when there is one
request_account: ContextVar[Callable[[], object] | None] = ContextVar("mailyard_request_account", default=None)


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
        account_of = request_account.get()
        account = account_of() if account_of is not None else None
        if account is not None:
            document["account"] = account
        for name in CONTEXT_FIELDS:  # what a log call names itself wins
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
    """ASGI middleware: every HTTP request gets an id that the log lines written while serving it carry, and
    with `account_key` they carry the account a door noted under that scope key once it authenticated."""

    def __init__(self, app: ASGIApp, *, account_key: str | None = None) -> None:
        self._app = app
        self._account_key = account_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        token = request_id.set(uuid.uuid4().hex[:16])
        key = self._account_key
        # The scope itself is read at each line: the doors note the account in it, and it is the same mapping
        # however deep the request goes (a context variable set down there would not come back up).
        account_token = request_account.set((lambda: scope.get(key)) if key else None)
        try:
            await self._app(scope, receive, send)
        finally:
            request_account.reset(account_token)
            request_id.reset(token)
