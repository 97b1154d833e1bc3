"""The built-in outbox: messages kept instead of sent when no relay is configured, byte for byte."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from mailyard.domain import identifiers
from mailyard.domain.outbox import OutboxMessage
from mailyard.web.api import schemas
from mailyard.web.api.auth import CurrentPrincipal, ServicesDep
from mailyard.web.api.paging import PageWindow

router = APIRouter(tags=["outbox"])
PositiveId = Annotated[int, Path(ge=1, le=identifiers.MAX_ID)]


class OutboxMessageOut(BaseModel):
    id: int
    task_id: int | None
    delivery_id: int | None
    envelope_from: str
    recipient: str
    message_id: str
    size: int
    created_at: datetime


def _message_out(message: OutboxMessage) -> OutboxMessageOut:
    return OutboxMessageOut(
        id=message.id,
        task_id=message.task_id,
        delivery_id=message.delivery_id,
        envelope_from=message.envelope_from,
        recipient=message.recipient,
        message_id=message.message_id,
        size=message.size,
        created_at=message.created_at,
    )


@router.get("/outbox")
async def list_outbox(
    principal: CurrentPrincipal,
    services: ServicesDep,
    window: PageWindow,
    task_id: Annotated[int | None, Query(ge=1, le=identifiers.MAX_ID)] = None,
) -> schemas.PageOut[OutboxMessageOut]:
    """Messages of the tasks the caller may see, newest first."""
    page = await services.outbox.list(principal, window, task_id=task_id)
    items = [_message_out(item) for item in page.items]
    return schemas.PageOut(items=items, total=page.total, offset=window.offset, limit=window.limit)


@router.get(
    "/outbox/{message_id}",
    response_class=Response,
    responses={
        200: {
            "content": {
                "message/rfc822": {"example": "From: news@example.com\r\nTo: ada@example.org\r\n\r\nHello Ada!\r\n"},
                "application/json": {"schema": OutboxMessageOut.model_json_schema()},
            },
            "description": "The message exactly as it would be sent; its record with `Accept: application/json`",
        }
    },
)
async def get_outbox_message(
    message_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep, request: Request
) -> Response:
    message = await services.outbox.get(principal, message_id)
    accepted = request.headers.get("accept", "")
    if "application/json" in accepted and "message/rfc822" not in accepted:
        return JSONResponse(_message_out(message).model_dump(mode="json"))
    return Response(content=message.content or b"", media_type="message/rfc822")
