"""Statistics: what was requested, accepted, delivered, bounced per day in the account's time zone."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from mailyard.domain.messages import Volume
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


class StatisticsOut(BaseModel):
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
) -> StatisticsOut:
    """Daily volumes over the tasks the caller may see (an admin: the whole account)."""
    report = await services.statistics.report(
        principal, start, end, sender_domain=sender_domain, recipient_domain=recipient_domain
    )
    return StatisticsOut(daily=[_volume_out(day) for day in report.daily], overall=_volume_out(report.overall))
