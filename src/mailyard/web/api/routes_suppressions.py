"""Suppressions: addresses Mailyard will not send to (hard bounces, unsubscribes, the account's own list)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from mailyard.domain.suppressions import Suppression, SuppressionReason
from mailyard.errors import ErrorCode, NotFound
from mailyard.web.api import schemas
from mailyard.web.api.auth import CurrentPrincipal, ServicesDep
from mailyard.web.api.paging import PageWindow

router = APIRouter(tags=["suppressions"])
Address = Annotated[str, Path(min_length=3, max_length=254)]


class SuppressionOut(BaseModel):
    model_config = schemas.with_examples(
        {
            "id": 12,
            "address": "ada@example.org",
            "reason": "hard_bounce",
            "expires_at": None,
            "created_at": schemas.CREATED_AT,
        }
    )

    id: int
    address: str
    reason: SuppressionReason
    expires_at: datetime | None
    created_at: datetime


class SuppressionsIn(schemas.Strict):
    addresses: Annotated[list[Annotated[str, Field(max_length=254)]], Field(min_length=1, max_length=1000)]
    expires_on: date | None = None  #: the first day the addresses may receive mail again; none: for good

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"addresses": ["spam-trap@example.org"], "expires_on": "2027-01-01"}]}
    )


def _suppression_out(entry: Suppression) -> SuppressionOut:
    return SuppressionOut(
        id=entry.id,
        address=entry.address,
        reason=entry.reason,
        expires_at=entry.expires_at,
        created_at=entry.created_at,
    )


@router.get("/suppressions", responses=schemas.page_example(SuppressionOut))
async def list_suppressions(
    principal: CurrentPrincipal,
    services: ServicesDep,
    window: PageWindow,
    reason: SuppressionReason | None = None,
    address: Annotated[str | None, Query(max_length=254, description="part of the address")] = None,
) -> schemas.PageOut[SuppressionOut]:
    """Suppressed addresses of the account, newest first."""
    page = await services.suppressions.list_all(principal, window, reason=reason, address_contains=address)
    items = [_suppression_out(item) for item in page.items]
    return schemas.PageOut(items=items, total=page.total, offset=window.offset, limit=window.limit)


@router.post("/suppressions", status_code=status.HTTP_201_CREATED)
async def add_suppressions(
    body: SuppressionsIn, principal: CurrentPrincipal, services: ServicesDep
) -> schemas.UploadOut:
    """Put addresses on the account's own list (reason `custom`); an address listed already gets the new expiry."""
    report = await services.suppressions.add_custom(principal, body.addresses, expires_on=body.expires_on)
    return schemas.UploadOut(total=report.total, valid=report.valid, invalid=report.invalid, repeated=report.repeated)


@router.delete("/suppressions/{address}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_suppression(
    address: Address,
    principal: CurrentPrincipal,
    services: ServicesDep,
    reason: SuppressionReason = SuppressionReason.CUSTOM,
) -> None:
    """Let an address receive mail again (from the reason given, `custom` by default)."""
    if not await services.suppressions.remove(principal, [address], reason):
        raise NotFound(f"{address} is not suppressed for {reason.value}", code=ErrorCode.SUPPRESSION_NOT_FOUND)
