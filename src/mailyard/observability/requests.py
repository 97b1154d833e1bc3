"""API requests and their latency by door and action, as an ASGI middleware around the whole app.

The action label is a route template (`POST /v1/tasks/{task_id}/cancel`) or a cloud action name the doors
know; anything else is `other`, so a caller cannot create series at will.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailyard.ports.metrics import Metrics

_ACTION_HEADERS = (b"x-tc-action", b"x-acs-action")
_QUERY_FIELDS_READ = 100  # the action is looked for among the first fields only: this runs before auth


class RequestMetrics:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        door_key: str,
        cloud_actions: Mapping[str, Collection[str]],
    ) -> None:
        self._app = app
        self._metrics = metrics
        self._door_key = door_key  # where the app's cloud dispatcher notes which door took the request
        self._cloud_actions = {door: frozenset(names) for door, names in cloud_actions.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.monotonic()
        status = 500  # what the server answers when the app raises before starting a response

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, remember_status)
        finally:
            door, action = self._labels(scope)
            self._metrics.request_served(door, action, status, time.monotonic() - started)

    def _labels(self, scope: Scope) -> tuple[str, str]:
        door = scope.get(self._door_key)
        if isinstance(door, str):
            return door, self._cloud_action(door, scope)
        route: Any = scope.get("route")
        path = getattr(route, "path", None)
        name = "api" if str(scope.get("path", "")).startswith("/v1/") else "web"
        return name, f"{scope.get('method', '')} {path}" if isinstance(path, str) else "other"

    def _cloud_action(self, door: str, scope: Scope) -> str:
        headers = dict(scope.get("headers") or ())
        named = next((headers[header] for header in _ACTION_HEADERS if header in headers), b"").decode("latin-1")
        if not named:
            fields = bytes(scope.get("query_string", b"")).split(b"&", _QUERY_FIELDS_READ)[:_QUERY_FIELDS_READ]
            found = next((field[len(b"Action=") :] for field in fields if field.startswith(b"Action=")), b"")
            named = unquote(found.decode("latin-1"))
        return named if named in self._cloud_actions.get(door, ()) else "other"
