"""Statistics: what was requested, accepted, delivered, bounced per day in the account's time zone."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from mailyard.domain import identifiers
from mailyard.domain.messages import Volume
from mailyard.errors import InvalidInput
from mailyard.web.api import schemas
from mailyard.web.api.auth import CurrentPrincipal, ServicesDep

router = APIRouter(tags=["statistics"])
DomainQuery = Annotated[str | None, Query(max_length=253)]


class VolumeOut(BaseModel):
    day: date
    requested: int
    accepted: int
    delivered: int
    bounced: int
    unsubscribed: int
    opened: int  #: by anyone, as the clouds count
    clicked: int
    opened_by_humans: int
    opened_by_machines: int  #: privacy proxies and scanners (see the README's "How counts are defined")
    clicked_by_humans: int
    clicked_by_machines: int
    complained: int


DAY_EXAMPLE = {
    "day": "2026-10-01",
    "requested": 1000,
    "accepted": 998,
    "delivered": 980,
    "bounced": 15,
    "unsubscribed": 4,
    "opened": 402,
    "clicked": 88,
    "opened_by_humans": 301,
    "opened_by_machines": 101,
    "clicked_by_humans": 80,
    "clicked_by_machines": 8,
    "complained": 1,
}


class StatisticsOut(BaseModel):
    model_config = schemas.with_examples({"daily": [DAY_EXAMPLE], "overall": DAY_EXAMPLE})

    daily: list[VolumeOut]  #: only the days with any mail, oldest first
    overall: VolumeOut  #: the whole range, dated by its first day


def _volume_out(volume: Volume) -> VolumeOut:
    return VolumeOut(**{name: getattr(volume, name) for name in VolumeOut.model_fields})


@router.get("/statistics")
async def get_statistics(
    principal: CurrentPrincipal,
    services: ServicesDep,
    start: Annotated[date, Query(description="first day, in the account's time zone")],
    end: Annotated[date, Query(description="last day (included)")],
    sender_domain: DomainQuery = None,
    recipient_domain: DomainQuery = None,
    task_id: Annotated[
        int | None, Query(ge=1, le=identifiers.MAX_ID, description="only this task (one the caller may see)")
    ] = None,
) -> StatisticsOut:
    """Daily volumes over the tasks the caller may see (an admin: the whole account), or of one task."""
    if task_id is None:
        report = await services.statistics.report(
            principal, start, end, sender_domain=sender_domain, recipient_domain=recipient_domain
        )
    elif sender_domain or recipient_domain:
        raise InvalidInput("a task's statistics are not split by domain: drop sender_domain and recipient_domain")
    else:
        report = await services.engagement_reports.task_report(principal, task_id, start, end)
    return StatisticsOut(daily=[_volume_out(day) for day in report.daily], overall=_volume_out(report.overall))
