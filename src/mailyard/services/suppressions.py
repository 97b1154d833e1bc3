"""Suppressions the account manages: the hard-bounce blacklist and its own custom blacklist.

Addresses are compared lower-cased, as recipient lists store them. Dates are calendar days in the account's
time zone: a custom entry expiring on a day stops suppressing at midnight starting that day.
"""

from __future__ import annotations

from datetime import date, timedelta

from mailyard.domain import accounts, paging, recipients
from mailyard.domain import addresses as email_addresses
from mailyard.domain.schedules import check_day, start_of_day
from mailyard.domain.suppressions import Suppression, SuppressionReason
from mailyard.errors import Conflict, ErrorCode, InvalidInput, LimitExceeded, NotFound
from mailyard.ports.store import Store
from mailyard.ports.suppressions import SuppressionRepositories

HARD_BOUNCE = SuppressionReason.HARD_BOUNCE
#: What ListBlackEmailAddress lists and DeleteBlackList removes: what the recipients' side said.
BLACKLISTED = (SuppressionReason.HARD_BOUNCE, SuppressionReason.COMPLAINT)
CUSTOM = SuppressionReason.CUSTOM


class SuppressionService:
    def __init__(self, store: Store[SuppressionRepositories], *, per_request: int = recipients.MAX_PER_UPLOAD) -> None:
        """`per_request`: how many addresses one request may add or remove, the Tencent door's upload limit
        (MAILYARD_TENCENT_UPLOAD_MAX_RECIPIENTS); the native API's body takes fewer anyway."""
        self._store = store
        self._per_request = per_request

    async def list_hard_bounces(
        self,
        principal: accounts.Principal,
        window: paging.Window,
        *,
        first_day: date,
        last_day: date,
        address_contains: str | None = None,
    ) -> paging.Page[Suppression]:
        """Addresses blacklisted after a hard bounce or a complaint between two days (both included), newest
        first."""
        check_day(first_day, "start_date")
        check_day(last_day, "end_date")
        if first_day > last_day:
            raise InvalidInput(
                "the start date is after the end date", field="start_date", code=ErrorCode.DATE_RANGE_INVALID
            )
        zone = principal.time_zone
        async with self._store.transaction() as repositories:
            return await repositories.suppressions.list(
                principal.account_id,
                window,
                reason=BLACKLISTED,
                address_contains=_cleaned(address_contains),
                created_from=start_of_day(first_day, zone),
                created_until=start_of_day(last_day + timedelta(days=1), zone),
            )

    async def remove_hard_bounces(self, principal: accounts.Principal, addresses: list[str]) -> int:
        """Let addresses receive mail again; the number that were blacklisted."""
        return await self._remove(principal, addresses, BLACKLISTED)

    async def add_custom(
        self, principal: accounts.Principal, addresses: list[str], *, expires_on: date | None = None
    ) -> recipients.UploadReport:
        """Blacklist the valid addresses (an address listed already gets the new expiry); count them all."""
        checked = [recipients.check_recipient(address) for address in _required(addresses)]
        self._check_count(len(checked))
        expires_at = start_of_day(check_day(expires_on, "expires_on"), principal.time_zone) if expires_on else None
        async with self._store.transaction() as repositories:
            for address in dict.fromkeys(row.address for row in checked if row.valid):
                await repositories.suppressions.add(
                    account_id=principal.account_id, address=address, reason=CUSTOM, expires_at=expires_at
                )
        return recipients.summarize_upload(checked)

    async def list_custom(
        self,
        principal: accounts.Principal,
        window: paging.Window,
        *,
        active: bool | None = None,
        address_contains: str | None = None,
    ) -> paging.Page[Suppression]:
        """The custom blacklist, newest first; `active` keeps entries in force (True) or expired (False)."""
        async with self._store.transaction() as repositories:
            return await repositories.suppressions.list(
                principal.account_id,
                window,
                reason=CUSTOM,
                address_contains=_cleaned(address_contains),
                active=active,
            )

    async def update_custom(
        self, principal: accounts.Principal, entry_id: int, *, address: str, expires_on: date | None
    ) -> Suppression:
        """Change the address and expiry of a custom entry; no expiry means for good."""
        cleaned = _valid_address(address)
        expires_at = start_of_day(check_day(expires_on, "expires_on"), principal.time_zone) if expires_on else None
        async with self._store.transaction() as repositories:
            entry = await repositories.suppressions.get(principal.account_id, entry_id)
            if entry is None or entry.reason is not CUSTOM:
                raise NotFound(f"custom blacklist entry {entry_id} not found", code=ErrorCode.BLACKLIST_ENTRY_NOT_FOUND)
            other = await repositories.suppressions.find(principal.account_id, cleaned, CUSTOM)
            if other is not None and other.id != entry_id:
                raise Conflict(f"{cleaned} is on the custom blacklist already", code=ErrorCode.BLACKLIST_ENTRY_EXISTS)
            await repositories.suppressions.update(
                principal.account_id, entry_id, address=cleaned, expires_at=expires_at
            )
            updated = await repositories.suppressions.get(principal.account_id, entry_id)
        assert updated is not None
        return updated

    async def list_all(
        self,
        principal: accounts.Principal,
        window: paging.Window,
        *,
        reason: SuppressionReason | None = None,
        address_contains: str | None = None,
    ) -> paging.Page[Suppression]:
        """Every suppression of the account (or those of one reason), newest first."""
        async with self._store.transaction() as repositories:
            return await repositories.suppressions.list(
                principal.account_id, window, reason=reason, address_contains=_cleaned(address_contains)
            )

    async def remove(self, principal: accounts.Principal, addresses: list[str], reason: SuppressionReason) -> int:
        """Let addresses suppressed for `reason` receive mail again; the number that were suppressed."""
        return await self._remove(principal, addresses, reason)

    async def remove_custom(self, principal: accounts.Principal, addresses: list[str]) -> int:
        """Take addresses off the custom blacklist; the number that were on it."""
        return await self._remove(principal, addresses, CUSTOM)

    def _check_count(self, count: int) -> None:
        if count > self._per_request:
            raise LimitExceeded(f"at most {self._per_request} addresses per request", code=ErrorCode.TOO_MANY_ADDRESSES)

    async def _remove(
        self,
        principal: accounts.Principal,
        addresses: list[str],
        reason: SuppressionReason | tuple[SuppressionReason, ...],
    ) -> int:
        cleaned = list(dict.fromkeys(address.strip().lower() for address in _required(addresses)))
        self._check_count(len(cleaned))
        async with self._store.transaction() as repositories:
            return await repositories.suppressions.remove(principal.account_id, cleaned, reason)


def _required(addresses: list[str]) -> list[str]:
    if not addresses:
        raise InvalidInput(
            "at least one email address is required", field="addresses", code=ErrorCode.ADDRESSES_REQUIRED
        )
    return addresses


def _valid_address(address: str) -> str:
    return email_addresses.normalized(address)


def _cleaned(text: str | None) -> str | None:
    return text.strip().lower() or None if text else None
