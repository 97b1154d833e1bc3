"""Address-level unsubscribe configuration: CreateAddressUnsubscribeConfig, ListAddressUnsubscribeConfig,
UpdateAddressUnsubscribeConfig, DeleteAddressUnsubscribeConfig (spec 1.4). ``UnsubscribeConfig`` is a
string enum and ``ListAddressUnsubscribeConfig.Limit`` a string (gotcha 10); both forms of Limit are read.
"""

from __future__ import annotations

from typing import Any

from mailyard.domain import paging
from mailyard.domain.accounts import Principal
from mailyard.domain.unsubscribe import UnsubscribeConfig
from mailyard.services.container import Services
from mailyard.web.doors import ActionTable
from mailyard.web.tencent.fields import Fields

DEFAULT_LIMIT = 20
MAX_ADDRESS = 320


def _config_out(config: UnsubscribeConfig) -> dict[str, Any]:
    return {"Address": config.address, "UnsubscribeConfig": config.language, "Status": 1 if config.enabled else 0}


def _settings(fields: Fields) -> tuple[str, str, bool]:
    address = fields.text("Address", max_length=MAX_ADDRESS)
    language = fields.text("UnsubscribeConfig")
    return address, language, fields.choice("Status", (0, 1)) == 1


async def create_config(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    address, language, enabled = _settings(Fields(params))
    await services.unsubscribe.create_config(principal, address=address, language=language, enabled=enabled)
    return {}


async def list_configs(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    window = paging.Window(
        offset=fields.offset() if fields.has("Offset") else 0,
        limit=fields.limit() if fields.has("Limit") else DEFAULT_LIMIT,
    )
    page = await services.unsubscribe.list_configs(principal, window)
    return {"AddressUnsubscribeConfigList": [_config_out(item) for item in page.items], "Total": page.total}


async def update_config(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    address, language, enabled = _settings(Fields(params))
    await services.unsubscribe.update_config(principal, address=address, language=language, enabled=enabled)
    return {}


async def delete_config(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    await services.unsubscribe.delete_config(principal, Fields(params).text("Address", max_length=MAX_ADDRESS))
    return {}


ACTIONS: ActionTable = {
    "CreateAddressUnsubscribeConfig": create_config,
    "ListAddressUnsubscribeConfig": list_configs,
    "UpdateAddressUnsubscribeConfig": update_config,
    "DeleteAddressUnsubscribeConfig": delete_config,
}
