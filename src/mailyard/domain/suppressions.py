"""Suppressions: addresses never to send to, and why."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from mailyard.domain.schedules import zone


class SuppressionReason(enum.StrEnum):
    HARD_BOUNCE = "hard_bounce"
    UNSUBSCRIBE = "unsubscribe"
    CUSTOM = "custom"  #: the account's own blacklist, optionally with an expiry


@dataclass(frozen=True, kw_only=True)
class Suppression:
    id: int
    account_id: int
    address: str
    reason: SuppressionReason
    expires_at: datetime | None
    created_at: datetime

    def active_at(self, moment: datetime) -> bool:
        """Whether the suppression still stops sending at `moment` (an expiry is the first moment it does not)."""
        return self.expires_at is None or self.expires_at > moment


def start_of_day(day: date, time_zone: str) -> datetime:
    """Midnight of a calendar day in the account's zone, as UTC: blacklist dates and date filters mean it."""
    return datetime.combine(day, time.min, tzinfo=zone(time_zone)).astimezone(UTC)


def local_day(moment: datetime, time_zone: str) -> date:
    """The calendar day of a UTC time in the account's zone."""
    return moment.astimezone(zone(time_zone)).date()
