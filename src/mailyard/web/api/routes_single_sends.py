"""Single sends: one message to a few recipients (with cc, bcc and attachments), and where each copy stands."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from mailyard.domain.messages import EmailStatus
from mailyard.domain.unsubscribe import LANGUAGE_TAGS
from mailyard.errors import InvalidInput
from mailyard.services.single_sends import AttachmentUpload, SendRequest
from mailyard.web.api import schemas
from mailyard.web.api.auth import CurrentPrincipal, ServicesDep
from mailyard.web.api.paging import PageWindow

router = APIRouter(tags=["single sends"])
Address = Annotated[str, Field(min_length=3, max_length=254)]


class AttachmentIn(schemas.Strict):
    filename: Annotated[str, Field(min_length=1, max_length=255)]
    content_base64: str


class SingleSendIn(schemas.Strict):
    from_address: Annotated[str, Field(min_length=3, max_length=400)]
    to: Annotated[list[Address], Field(min_length=1)]
    cc: list[Address] = Field(default_factory=list)
    bcc: list[Address] = Field(default_factory=list)
    reply_to: Annotated[str | None, Field(max_length=400)] = None
    subject: Annotated[str, Field(min_length=1, max_length=100)]
    template_id: schemas.Id
    variables: dict[str, Any] = Field(default_factory=dict)
    attachments: list[AttachmentIn] = Field(default_factory=list)
    unsubscribe: schemas.UnsubscribeLanguage | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from_address": "Example News <news@example.com>",
                    "to": ["ada@example.org"],
                    "cc": ["alan@example.org"],
                    "subject": "Your report",
                    "template_id": 1,
                    "variables": {"name": "Ada"},
                    "attachments": [{"filename": "report.txt", "content_base64": "aGVsbG8="}],
                }
            ]
        }
    )


class SingleSendOut(BaseModel):
    message_id: str
    task_id: int


class SingleSendStatusOut(BaseModel):
    message_id: str
    to_address: str
    from_address: str
    state: str
    smtp_code: int | None
    reason: str | None
    attempts: int
    suspended: bool
    requested_at: datetime
    updated_at: datetime


def _decoded(attachment: AttachmentIn) -> AttachmentUpload:
    try:
        content = base64.b64decode(attachment.content_base64, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidInput(
            f"attachment {attachment.filename!r}: content_base64 is not base64", field="attachments"
        ) from error
    return AttachmentUpload(filename=attachment.filename, content=content)


def _status_out(found: EmailStatus) -> SingleSendStatusOut:
    return SingleSendStatusOut(
        message_id=found.message_id,
        to_address=found.to_address,
        from_address=found.from_address,
        state=found.state,
        smtp_code=found.smtp_code,
        reason=found.reason,
        attempts=found.attempts,
        suspended=found.task_suspended,
        requested_at=found.requested_at,
        updated_at=found.updated_at,
    )


@router.post("/messages", status_code=status.HTTP_202_ACCEPTED)
async def send_message(body: SingleSendIn, principal: CurrentPrincipal, services: ServicesDep) -> SingleSendOut:
    """Queue one message for its recipients; it is sent like any task, within the same quotas and limits."""
    request = SendRequest(
        from_address=body.from_address,
        subject=body.subject,
        template_id=body.template_id,
        variables=body.variables,
        destination=body.to,
        cc=body.cc,
        bcc=body.bcc,
        reply_to=body.reply_to,
        attachments=[_decoded(item) for item in body.attachments],
        unsubscribe=LANGUAGE_TAGS[body.unsubscribe] if body.unsubscribe else None,
    )
    sent = await services.single_sends.send(principal, request)
    return SingleSendOut(message_id=sent.message_id, task_id=sent.task_id)


@router.get("/messages")
async def list_message_statuses(
    principal: CurrentPrincipal,
    services: ServicesDep,
    window: PageWindow,
    day: Annotated[date, Query(description="the day the messages were requested, in the account's time zone")],
    message_id: Annotated[str | None, Query(max_length=200)] = None,
    to: Annotated[str | None, Query(max_length=254)] = None,
) -> list[SingleSendStatusOut]:
    """Each recipient of the caller's single sends of one day (of the last 30), newest first."""
    found = await services.single_sends.statuses(principal, day, window, message_id=message_id, to_address=to)
    return [_status_out(item) for item in found]
