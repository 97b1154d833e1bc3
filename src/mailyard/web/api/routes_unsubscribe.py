"""Unsubscribe settings per sender address: whether its mail carries an unsubscribe link, and in which language.

Languages are named by their tags (`en`, `zh-CN`, ...); the Tencent door speaks the same settings as "0".."12".
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict

from mailyard.domain.unsubscribe import LANGUAGE_TAGS, TAGS_BY_OPTION, UnsubscribeConfig
from mailyard.web.api import schemas
from mailyard.web.api.auth import CurrentPrincipal, ServicesDep
from mailyard.web.api.paging import PageWindow

router = APIRouter(tags=["unsubscribe"])
Address = Annotated[str, Path(min_length=3, max_length=254)]
Language = schemas.UnsubscribeLanguage


class UnsubscribeSettingIn(schemas.Strict):
    language: Language
    enabled: bool = True

    model_config = ConfigDict(json_schema_extra={"examples": [{"language": "en", "enabled": True}]})


class UnsubscribeSettingOut(BaseModel):
    address: str
    language: Language
    enabled: bool
    created_at: datetime
    updated_at: datetime


def _setting_out(config: UnsubscribeConfig) -> UnsubscribeSettingOut:
    return UnsubscribeSettingOut(
        address=config.address,
        language=TAGS_BY_OPTION[config.language],
        enabled=config.enabled,
        created_at=config.created_at,
        updated_at=config.updated_at,
    )


@router.get("/unsubscribe-settings")
async def list_unsubscribe_settings(
    principal: CurrentPrincipal, services: ServicesDep, window: PageWindow
) -> schemas.PageOut[UnsubscribeSettingOut]:
    page = await services.unsubscribe.list_configs(principal, window)
    items = [_setting_out(item) for item in page.items]
    return schemas.PageOut(items=items, total=page.total, offset=window.offset, limit=window.limit)


@router.put("/senders/{address}/unsubscribe")
async def set_unsubscribe_setting(
    address: Address, body: UnsubscribeSettingIn, principal: CurrentPrincipal, services: ServicesDep
) -> UnsubscribeSettingOut:
    """Create or change the sender address's setting."""
    option = LANGUAGE_TAGS[body.language]
    config = await services.unsubscribe.put_config(principal, address=address, language=option, enabled=body.enabled)
    return _setting_out(config)


@router.delete("/senders/{address}/unsubscribe", status_code=status.HTTP_204_NO_CONTENT)
async def delete_unsubscribe_setting(address: Address, principal: CurrentPrincipal, services: ServicesDep) -> None:
    await services.unsubscribe.delete_config(principal, address)
