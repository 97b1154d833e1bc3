"""Webhook endpoints: where the account's events are posted, in Tencent's callback format, signed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field

from mailyard.domain import webhooks
from mailyard.services.webhooks import WebhookService
from mailyard.web.api import schemas
from mailyard.web.api.auth import CurrentPrincipal, ServicesDep
from mailyard.web.api.paging import PageWindow

router = APIRouter(tags=["webhooks"])
EndpointId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class WebhookIn(schemas.Strict):
    url: Annotated[str, Field(min_length=8, max_length=webhooks.MAX_URL_LENGTH)]
    events: list[Annotated[str, Field(max_length=16)]] | None = None  #: Tencent's names; none: every event
    custom: Annotated[str | None, Field(max_length=webhooks.MAX_CUSTOM_LENGTH)] = None
    sender: Annotated[str | None, Field(max_length=254)] = None  #: only mail from this sender address

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"url": "https://hooks.example.com/mail", "events": ["bounce", "spamreport"], "custom": "shop-1"}
            ]
        }
    )


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    custom: str | None
    sender: str | None
    enabled: bool
    created_at: datetime


class CreatedWebhookOut(WebhookOut):
    secret: str  #: shown this once: verify the webhook-signature header with it (Standard Webhooks)


class AttemptOut(BaseModel):
    id: int
    event: str
    state: str
    attempts: int
    last_status: int | None
    last_answer: str | None
    created_at: datetime
    updated_at: datetime


def _out(endpoint: webhooks.Endpoint) -> WebhookOut:
    return WebhookOut(
        id=endpoint.id,
        url=endpoint.url,
        events=sorted(endpoint.events),
        custom=endpoint.custom,
        sender=endpoint.sender,
        enabled=endpoint.enabled,
        created_at=endpoint.created_at,
    )


def _webhooks(services: ServicesDep) -> WebhookService:
    if services.webhooks is None:
        raise HTTPException(status_code=404, detail="webhooks are not configured on this server")
    return services.webhooks


@router.post("/webhooks", status_code=status.HTTP_201_CREATED)
async def create_webhook(body: WebhookIn, principal: CurrentPrincipal, services: ServicesDep) -> CreatedWebhookOut:
    """Register an endpoint (admins); the answer holds its secret, shown once."""
    created = await _webhooks(services).create(
        principal, url=body.url, event_names=body.events, custom=body.custom, sender=body.sender
    )
    return CreatedWebhookOut(**_out(created.endpoint).model_dump(), secret=created.secret)


@router.get("/webhooks")
async def list_webhooks(principal: CurrentPrincipal, services: ServicesDep) -> list[WebhookOut]:
    return [_out(endpoint) for endpoint in await _webhooks(services).list(principal)]


@router.delete("/webhooks/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook(endpoint_id: EndpointId, principal: CurrentPrincipal, services: ServicesDep) -> None:
    await _webhooks(services).delete(principal, endpoint_id)


@router.post("/webhooks/{endpoint_id}/test", status_code=status.HTTP_202_ACCEPTED)
async def test_webhook(endpoint_id: EndpointId, principal: CurrentPrincipal, services: ServicesDep) -> None:
    """Queue a `delivered` event for test@example.com to this endpoint."""
    await _webhooks(services).test(principal, endpoint_id, services.clock.now())


@router.get("/webhooks/{endpoint_id}/deliveries")
async def webhook_deliveries(
    endpoint_id: EndpointId, principal: CurrentPrincipal, services: ServicesDep, window: PageWindow
) -> schemas.PageOut[AttemptOut]:
    """What was posted to the endpoint, newest first: state, tries and the last answer's status."""
    page = await _webhooks(services).attempts(principal, endpoint_id, window)
    items = [
        AttemptOut(
            id=item.id,
            event=item.event.value,
            state=item.state.value,
            attempts=item.attempts,
            last_status=item.last_status,
            last_answer=item.last_answer,
            created_at=item.created_at,
            updated_at=item.updated_at,
        )
        for item in page.items
    ]
    return schemas.PageOut(items=items, total=page.total, offset=window.offset, limit=window.limit)
