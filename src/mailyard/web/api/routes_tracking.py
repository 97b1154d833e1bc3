"""Open and click tracking: the account's setting (on by default, as in the cloud services)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict

from mailyard.domain.tracking import TrackingOptions
from mailyard.services.tracking import TrackingService
from mailyard.web.api import schemas
from mailyard.web.api.auth import CurrentPrincipal, ServicesDep

router = APIRouter(tags=["tracking"])


class TrackingIn(schemas.Strict):
    opens: bool = True
    clicks: bool = True

    model_config = ConfigDict(json_schema_extra={"examples": [{"opens": False, "clicks": True}]})


class TrackingOut(BaseModel):
    opens: bool
    clicks: bool


def _tracking(services: ServicesDep) -> TrackingService:
    if services.tracking is None:
        raise HTTPException(status_code=404, detail="tracking is not configured on this server")
    return services.tracking


@router.get("/account/tracking")
async def get_tracking(principal: CurrentPrincipal, services: ServicesDep) -> TrackingOut:
    options = await _tracking(services).account_options(principal)
    return TrackingOut(opens=options.opens, clicks=options.clicks)


@router.put("/account/tracking")
async def set_tracking(body: TrackingIn, principal: CurrentPrincipal, services: ServicesDep) -> TrackingOut:
    """Turn open and click tracking on or off for the account's tasks (a task's own option wins); admins only."""
    options = TrackingOptions(opens=body.opens, clicks=body.clicks)
    changed = await _tracking(services).set_account_options(principal, options)
    return TrackingOut(opens=changed.opens, clicks=changed.clicks)
