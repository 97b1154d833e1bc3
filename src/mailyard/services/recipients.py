"""Recipient lists: create, upload recipients (checked once, on entry), list, delete."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mailyard import ports
from mailyard.domain import accounts, paging, recipients
from mailyard.errors import Conflict, ErrorCode, InvalidInput, LimitExceeded, NotFound


@dataclass(frozen=True, kw_only=True)
class RecipientFilter:
    address_contains: str | None = None
    valid: bool | None = None
    created_from: datetime | None = None
    created_until: datetime | None = None


class RecipientService:
    def __init__(self, store: ports.Store) -> None:
        self._store = store

    async def create_list(
        self, principal: accounts.Principal, *, name: str, description: str = ""
    ) -> recipients.RecipientList:
        name = recipients.check_list_name(name)
        if len(description) > 300:
            raise InvalidInput("description must be at most 300 characters", field="description")
        async with self._store.transaction() as repositories:
            if await repositories.lists.get_by_name(principal.account_id, name):
                raise Conflict(f"a recipient list named {name!r} exists already", code=ErrorCode.LIST_NAME_TAKEN)
            return await repositories.lists.create(account_id=principal.account_id, name=name, description=description)

    async def get_list(self, principal: accounts.Principal, list_id: int) -> recipients.RecipientList:
        async with self._store.transaction() as repositories:
            found = await repositories.lists.get(principal.account_id, list_id)
        if found is None:
            raise NotFound(f"recipient list {list_id} not found", code=ErrorCode.LIST_NOT_FOUND)
        return found

    async def list_lists(
        self,
        principal: accounts.Principal,
        window: paging.Window,
        *,
        keyword: str | None = None,
        status: recipients.ListStatus | None = None,
    ) -> paging.Page[recipients.RecipientList]:
        non_empty = None if status is None else status is not recipients.ListStatus.AWAITING_UPLOAD
        if status is recipients.ListStatus.UPLOADING:
            return paging.Page([], 0)  # uploads complete within their request
        async with self._store.transaction() as repositories:
            return await repositories.lists.list(principal.account_id, window, keyword=keyword, non_empty=non_empty)

    async def add_recipients(
        self, principal: accounts.Principal, list_id: int, entries: Iterable[tuple[str, Any]]
    ) -> recipients.UploadReport:
        """Append recipients (address, variables); all of them or none, within the upload and list limits."""
        rows = [recipients.check_recipient(address, variables) for address, variables in entries]
        if not rows:
            raise InvalidInput("no recipients given", field="recipients", code=ErrorCode.RECIPIENTS_MISSING)
        if len(rows) > recipients.MAX_PER_UPLOAD:
            raise LimitExceeded(
                f"at most {recipients.MAX_PER_UPLOAD} recipients per upload", code=ErrorCode.UPLOAD_TOO_LARGE
            )
        async with self._store.transaction() as repositories:
            target = await repositories.lists.get(principal.account_id, list_id)
            if target is None:
                raise NotFound(f"recipient list {list_id} not found", code=ErrorCode.LIST_NOT_FOUND)
            if target.total_count + len(rows) > recipients.MAX_PER_LIST:
                raise LimitExceeded(
                    f"a list holds at most {recipients.MAX_PER_LIST} recipients", code=ErrorCode.LIST_TOO_LARGE
                )
            await repositories.lists.add_recipients(list_id, rows)
        return recipients.summarize_upload(rows)

    async def list_recipients(
        self,
        principal: accounts.Principal,
        list_id: int,
        window: paging.Window,
        recipient_filter: RecipientFilter | None = None,
    ) -> tuple[recipients.RecipientList, paging.Page[recipients.Recipient]]:
        found = await self.get_list(principal, list_id)
        chosen = recipient_filter or RecipientFilter()
        async with self._store.transaction() as repositories:
            page = await repositories.lists.list_recipients(
                list_id,
                window,
                address_contains=chosen.address_contains,
                valid=chosen.valid,
                created_from=chosen.created_from,
                created_until=chosen.created_until,
            )
        return found, page

    async def delete_list(self, principal: accounts.Principal, list_id: int) -> None:
        await self.get_list(principal, list_id)
        async with self._store.transaction() as repositories:
            if await repositories.tasks.uses_list(list_id):
                raise Conflict(f"recipient list {list_id} is used by a task", code=ErrorCode.LIST_IN_USE)
            await repositories.lists.delete(principal.account_id, list_id)
