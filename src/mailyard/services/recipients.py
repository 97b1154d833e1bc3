"""Recipient lists: create, upload recipients (checked once, on entry), list, delete."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mailyard.domain import accounts, paging, recipients, visibility
from mailyard.errors import Conflict, ErrorCode, InvalidInput, LimitExceeded, NotFound
from mailyard.ports.recipients import RecipientRepositories
from mailyard.ports.store import Store


@dataclass(frozen=True, kw_only=True)
class RecipientFilter:
    address_contains: str | None = None
    valid: bool | None = None
    created_from: datetime | None = None
    created_until: datetime | None = None


IMPORT_BATCH = 2_000
EXPORT_BATCH = 5_000


class RecipientService:
    def __init__(self, store: Store[RecipientRepositories], limits: recipients.ListLimits | None = None) -> None:
        self._store = store
        self.limits = limits or recipients.ListLimits()

    async def create_list(
        self, principal: accounts.Principal, *, name: str, description: str = ""
    ) -> recipients.RecipientList:
        name = recipients.check_list_name(name)
        description = recipients.check_list_description(description)
        async with self._store.transaction() as repositories:
            if await repositories.lists.get_by_name(principal.account_id, name):
                raise Conflict(f"a recipient list named {name!r} exists already", code=ErrorCode.LIST_NAME_TAKEN)
            return await repositories.lists.create(
                account_id=principal.account_id, created_by=principal.user_id, name=name, description=description
            )

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
        if len(rows) > self.limits.cloud_per_upload:
            raise LimitExceeded(
                f"at most {self.limits.cloud_per_upload} recipients per upload", code=ErrorCode.UPLOAD_TOO_LARGE
            )
        async with self._store.transaction() as repositories:
            target = await repositories.lists.get(principal.account_id, list_id)
            if target is None:
                raise NotFound(f"recipient list {list_id} not found", code=ErrorCode.LIST_NOT_FOUND)
            _require_may_change(principal, target)
            if target.total_count + len(rows) > self.limits.cloud_per_list:
                raise _list_too_large(self.limits.cloud_per_list)
            await repositories.lists.add_recipients(list_id, rows)
        return recipients.summarize_upload(rows)

    async def import_recipients(
        self, principal: accounts.Principal, list_id: int, rows: Iterable[tuple[int, str, Any]]
    ) -> recipients.ImportReport:
        """Add (line, address, variables) rows to a list: all of them or none, in one transaction.

        Rows are read and written in batches, so a large import holds one batch in memory at a time.
        """
        total = valid = 0
        invalid_rows: list[recipients.InvalidRow] = []
        async with self._store.transaction() as repositories:
            target = await repositories.lists.get(principal.account_id, list_id)
            if target is None:
                raise NotFound(f"recipient list {list_id} not found", code=ErrorCode.LIST_NOT_FOUND)
            _require_may_change(principal, target)
            remaining = iter(rows)
            while batch := tuple(itertools.islice(remaining, IMPORT_BATCH)):
                checked = [_checked_row(line, address, variables) for line, address, variables in batch]
                total += len(checked)
                if target.total_count + total > self.limits.per_list:
                    raise _list_too_large(self.limits.per_list)
                valid += sum(row.valid for row in checked)
                room = recipients.MAX_REPORTED_INVALID_ROWS - len(invalid_rows)
                invalid_rows.extend(_first_invalid(batch, checked, room))
                await repositories.lists.add_recipients(list_id, checked)
        if not total:
            raise InvalidInput("no recipients given", field="recipients", code=ErrorCode.RECIPIENTS_MISSING)
        return recipients.ImportReport(
            total=total, valid=valid, invalid=total - valid, invalid_rows=tuple(invalid_rows)
        )

    async def export_recipients(
        self, principal: accounts.Principal, list_id: int
    ) -> AsyncIterator[list[recipients.Recipient]]:
        """Every recipient of a list in upload order, a batch at a time (each batch in its own transaction)."""
        await self.get_list(principal, list_id)
        after_id = 0
        while True:
            async with self._store.transaction() as repositories:
                batch = await repositories.lists.recipients_after(list_id, after_id, EXPORT_BATCH)
            if not batch:
                return
            yield batch
            after_id = batch[-1].id

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
        _require_may_change(principal, await self.get_list(principal, list_id))
        async with self._store.transaction() as repositories:
            if await repositories.tasks.uses_list(list_id):
                raise Conflict(f"recipient list {list_id} is used by a task", code=ErrorCode.LIST_IN_USE)
            await repositories.lists.delete(principal.account_id, list_id)


def _list_too_large(limit: int) -> LimitExceeded:
    return LimitExceeded(f"a list holds at most {limit} recipients", code=ErrorCode.LIST_TOO_LARGE)


def _first_invalid(
    batch: tuple[tuple[int, str, Any], ...], checked: list[recipients.RecipientInput], room: int
) -> list[recipients.InvalidRow]:
    found = [
        recipients.InvalidRow(line=line, address=address, reason=row.reason or "invalid")
        for (line, address, _variables), row in zip(batch, checked, strict=True)
        if not row.valid
    ]
    return found[: max(room, 0)]


def _checked_row(line: int, address: str, variables: Any) -> recipients.RecipientInput:
    try:
        return recipients.check_recipient(address, variables)
    except InvalidInput as error:
        raise InvalidInput(f"line {line}: {error.message}", field=error.field, code=error.code) from error


def _require_may_change(principal: accounts.Principal, target: recipients.RecipientList) -> None:
    what, code = f"recipient list {target.id}", ErrorCode.LIST_FORBIDDEN
    visibility.require_may_change(principal, created_by=target.created_by, what=what, code=code)
