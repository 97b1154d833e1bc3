"""What recipient lists need from the store."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Protocol

from mailyard.domain import paging, recipients


class RecipientListLookup(Protocol):
    async def get(self, account_id: int, list_id: int) -> recipients.RecipientList | None: ...


class RecipientLists(RecipientListLookup, Protocol):
    async def create(
        self, *, account_id: int, created_by: int, name: str, description: str
    ) -> recipients.RecipientList: ...
    async def get_by_name(self, account_id: int, name: str) -> recipients.RecipientList | None: ...
    async def list(
        self, account_id: int, window: paging.Window, *, keyword: str | None, non_empty: bool | None
    ) -> paging.Page[recipients.RecipientList]: ...
    async def delete(self, account_id: int, list_id: int) -> bool: ...
    async def add_recipients(self, list_id: int, rows: builtins.list[recipients.RecipientInput]) -> None: ...
    async def recipients_after(
        self, list_id: int, after_id: int, limit: int
    ) -> builtins.list[recipients.Recipient]: ...
    async def list_recipients(
        self,
        list_id: int,
        window: paging.Window,
        *,
        address_contains: str | None = None,
        valid: bool | None = None,
        created_from: datetime | None = None,
        created_until: datetime | None = None,
    ) -> paging.Page[recipients.Recipient]: ...


class ListUse(Protocol):
    async def uses_list(self, list_id: int) -> bool:
        """True while a task sends to the list."""
        ...


class RecipientRepositories(Protocol):
    @property
    def lists(self) -> RecipientLists: ...
    @property
    def tasks(self) -> ListUse: ...
