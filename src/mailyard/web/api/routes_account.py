"""The caller's account: its time zone and daily quota (admins only)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from mailyard.domain import accounts
from mailyard.web.api.auth import CurrentPrincipal, ServicesDep

router = APIRouter()


class AccountPatchIn(BaseModel):
    """Only the fields given change; `daily_quota: null` removes the quota."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"time_zone": "Asia/Shanghai", "daily_quota": 10000}]}
    )

    time_zone: str | None = Field(default=None, min_length=1, max_length=64, examples=["Asia/Shanghai"])
    daily_quota: int | None = Field(default=None, ge=0, le=2**31 - 1, description="Messages per local day.")


class AccountOut(BaseModel):
    name: str
    time_zone: str
    daily_quota: int | None
    created_at: datetime


def _account_out(account: accounts.Account) -> AccountOut:
    return AccountOut(
        name=account.name,
        time_zone=account.time_zone,
        daily_quota=account.daily_quota,
        created_at=account.created_at,
    )


@router.patch("/account", tags=["access"])
async def update_account(body: AccountPatchIn, principal: CurrentPrincipal, services: ServicesDep) -> AccountOut:
    quota_given = "daily_quota" in body.model_fields_set
    account = await services.access.update_account(
        principal, time_zone=body.time_zone, daily_quota=body.daily_quota if quota_given else ...
    )
    return _account_out(account)
