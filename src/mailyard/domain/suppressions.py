"""Suppressions: addresses never to send to, and why."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from mailyard.domain.schedules import zone


class SuppressionReason(enum.StrEnum):
    HARD_BOUNCE = "hard_bounce"  #: a permanent bounce, or a run of soft ones
    COMPLAINT = "complaint"  #: the recipient reported a message as spam
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
    description: str | None = None  #: why: the bounce diagnostic, or that it was a complaint

    def active_at(self, moment: datetime) -> bool:
        """Whether the suppression still stops sending at `moment` (an expiry is the first moment it does not)."""
        return self.expires_at is None or self.expires_at > moment


def local_day(moment: datetime, time_zone: str) -> date:
    """The calendar day of a UTC time in the account's zone."""
    return moment.astimezone(zone(time_zone)).date()
