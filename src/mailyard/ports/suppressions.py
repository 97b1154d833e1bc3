"""What suppressions (bounces, unsubscribes, the custom blacklist) need from the store."""

from __future__ import annotations

import builtins
from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from mailyard.domain import paging, suppressions


class SuppressionAdder(Protocol):
    async def add(
        self,
        *,
        account_id: int,
        address: str,
        reason: suppressions.SuppressionReason,
        expires_at: datetime | None,
        description: str | None = None,
    ) -> suppressions.Suppression:
        """Insert, or refresh the expiry (and description, when given) of the entry for the address and reason."""
        ...


class SuppressionFinder(Protocol):
    async def find(
        self, account_id: int, address: str, reason: suppressions.SuppressionReason
    ) -> suppressions.Suppression | None: ...


class Suppressions(SuppressionAdder, SuppressionFinder, Protocol):
    async def list(
        self,
        account_id: int,
        window: paging.Window,
        *,
        reason: suppressions.SuppressionReason | Collection[suppressions.SuppressionReason] | None,
        address_contains: str | None = None,
        created_from: datetime | None = None,
        created_until: datetime | None = None,
        active: bool | None = None,
    ) -> paging.Page[suppressions.Suppression]:
        """Newest first; `active` keeps entries whose expiry has (False) or has not (True) passed."""
        ...

    async def get(self, account_id: int, suppression_id: int) -> suppressions.Suppression | None: ...
    async def update(
        self, account_id: int, suppression_id: int, *, address: str, expires_at: datetime | None
    ) -> bool: ...
    async def remove(
        self,
        account_id: int,
        addresses: builtins.list[str],
        reason: suppressions.SuppressionReason | Collection[suppressions.SuppressionReason],
    ) -> int: ...


class SuppressionRepositories(Protocol):
    @property
    def suppressions(self) -> Suppressions: ...
