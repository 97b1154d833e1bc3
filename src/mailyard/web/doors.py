"""What the front doors share, so each is written once: the request body read under a size cap, the one shape
of a cloud door's action table, and the hook that turns core errors into the door's own.

An action is a module-level coroutine function ``action(services, principal, params)``, importable and testable
by name; each action module lists its actions in an ``ACTIONS`` table (wire name → action), and the door's
builder binds the tables to the running services with ``bind_actions``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Message, Receive, Scope

from mailyard.domain.accounts import Principal
from mailyard.services.container import Services

Action = Callable[[Services, Principal, dict[str, Any]], Awaitable[Any]]
ActionTable = Mapping[str, Action]
Handler = Callable[[Principal, dict[str, Any]], Awaitable[Any]]
DoorErrorT = TypeVar("DoorErrorT", bound=Exception)

# After the cap is passed the rest of the body is read and thrown away, so the client gets to read the error
# instead of a reset connection; past this multiple of the cap reading stops.
DRAIN_FACTOR = 4

logger = logging.getLogger(__name__)


class BodyTooLarge(HTTPException):
    """The body is over the door's cap; each door answers in its own protocol. An HTTPException (413), so that
    FastAPI's body parsing lets it through to the native API's error handlers."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"The request body is larger than {limit} bytes.")
        self.limit = limit


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, at most `limit` bytes, else `BodyTooLarge`. A body a little over the cap is read to its
    end and thrown away, so the client reads the refusal instead of a reset connection. A client that goes away
    raises starlette's `ClientDisconnect`."""
    drain_limit = limit * DRAIN_FACTOR
    if declared_length(request.scope) > drain_limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif size > drain_limit:
            break
        else:
            chunks.clear()
    if size > limit:
        raise BodyTooLarge(limit)
    return b"".join(chunks)


def capped_receive(receive: Receive, limit: int) -> Receive:
    """`receive` for a body streamed on to the application (uploads spooled to disk): `BodyTooLarge` as soon as
    more than `limit` bytes came in. Content-Length is only a hint (a chunked body has none), so the cap holds
    while reading."""
    received = 0

    async def capped() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise BodyTooLarge(limit)
        return message

    return capped


def declared_length(scope: Scope) -> int:
    """The body length the client declared; 0 when it declared none, or nothing readable."""
    value = dict(scope["headers"]).get(b"content-length", b"")
    return int(value) if value.isdigit() and len(value) < 20 else 0


def bind_actions(tables: Iterable[ActionTable], services: Services) -> dict[str, Handler]:
    """Every action of `tables` by its exact (case-sensitive) name, bound to `services`; a name in two tables
    is a programming error."""
    bound: dict[str, Handler] = {}
    for table in tables:
        repeated = bound.keys() & table.keys()
        if repeated:
            raise RuntimeError(f"actions defined twice: {sorted(repeated)}")
        bound.update({name: functools.partial(action, services) for name, action in table.items()})
    return bound


def translated(translate: Callable[[Exception], DoorErrorT | None] | None, error: Exception) -> DoorErrorT | None:
    """The door's error for `error` (a core error) by the door's one translation table, or None: the door then
    answers its internal error, with the traceback logged and never sent. A failing translation counts as
    None."""
    if translate is None:
        return None
    try:
        return translate(error)
    except Exception:
        logger.exception("translating %s failed", type(error).__name__)
        return None
