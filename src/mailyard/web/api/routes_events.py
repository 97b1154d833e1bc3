"""What recipients did: a task's engagement totals, and the events of a task and of one delivery, paged."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from mailyard.domain import events
from mailyard.web.api import schemas
from mailyard.web.api.auth import CurrentPrincipal, ServicesDep
from mailyard.web.api.paging import PageWindow

router = APIRouter(tags=["events"])
PositiveId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class EngagementOut(BaseModel):
    """Totals over every run of the task (see the README's "How counts are defined")."""

    model_config = schemas.with_examples(
        {
            "delivered": 980,
            "deferred": 12,
            "dropped": 3,
            "hard_bounces": 15,
            "soft_bounces": 12,
            "opens": 610,
            "unique_opens": 402,
            "human_opens": 350,
            "unique_human_opens": 301,
            "machine_opens": 260,
            "unique_machine_opens": 101,
            "clicks": 120,
            "unique_clicks": 88,
            "human_clicks": 97,
            "unique_human_clicks": 80,
            "machine_clicks": 23,
            "unique_machine_clicks": 8,
            "complaints": 1,
            "unsubscribes": 4,
        }
    )

    delivered: int
    deferred: int
    dropped: int
    hard_bounces: int
    soft_bounces: int
    opens: int  #: by anyone, as the clouds count; apart for people and machines below
    unique_opens: int
    human_opens: int
    unique_human_opens: int
    machine_opens: int  #: privacy proxies prefetching images
    unique_machine_opens: int
    clicks: int
    unique_clicks: int
    human_clicks: int
    unique_human_clicks: int
    machine_clicks: int  #: link scanners
    unique_machine_clicks: int
    complaints: int
    unsubscribes: int


class EventOut(BaseModel):
    id: int
    event: str  #: Tencent's event name
    delivery_id: int
    task_id: int
    email: str
    occurred_at: datetime
    reason: str | None
    bounce_type: str | None
    link: str | None
    user_agent: str | None
    machine: bool | None


def _event_out(event: events.Event) -> EventOut:
    return EventOut(
        id=event.id,
        event=event.type.value,
        delivery_id=event.delivery.delivery_id,
        task_id=event.delivery.task_id,
        email=event.delivery.address,
        occurred_at=event.occurred_at,
        reason=event.reason,
        bounce_type=event.bounce_type.value if event.bounce_type else None,
        link=event.link,
        user_agent=event.user_agent,
        machine=event.machine,
    )


@router.get("/tasks/{task_id}/engagement")
async def task_engagement(task_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep) -> EngagementOut:
    totals = await services.engagement.totals(principal, task_id)
    return EngagementOut(**{name: getattr(totals, name) for name in EngagementOut.model_fields})


@router.get("/tasks/{task_id}/events")
async def task_events(
    task_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep, window: PageWindow
) -> schemas.PageOut[EventOut]:
    page = await services.engagement.list_events(principal, task_id, window)
    return schemas.PageOut(
        items=[_event_out(item) for item in page.items], total=page.total, offset=window.offset, limit=window.limit
    )


@router.get("/tasks/{task_id}/deliveries/{delivery_id}/events")
async def delivery_events(
    task_id: PositiveId, delivery_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep, window: PageWindow
) -> schemas.PageOut[EventOut]:
    page = await services.engagement.list_events(principal, task_id, window, delivery_id=delivery_id)
    return schemas.PageOut(
        items=[_event_out(item) for item in page.items], total=page.total, offset=window.offset, limit=window.limit
    )
