"""Daily sending quotas: a day is midnight to midnight in the account's (or the relay's) time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo


def day_start(now: datetime, time_zone: str) -> datetime:
    """The UTC instant of the last midnight in `time_zone` at or before `now`."""
    local = now.astimezone(ZoneInfo(time_zone))
    return datetime.combine(local.date(), time(0), ZoneInfo(time_zone)).astimezone(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaBudget:
    """What an account with a daily quota may still send today.

    `used` counts messages sent since midnight plus those leased to a worker right now, so that
    workers claiming at the same time cannot together overshoot the quota.
    """

    account_id: int
    quota: int
    used: int

    @property
    def remaining(self) -> int:
        return max(self.quota - self.used, 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayQuota:
    """A relay's daily limit: at most `daily_quota` messages accepted per day in `time_zone` (None: no limit)."""

    relay: str
    daily_quota: int | None
    time_zone: str = "UTC"
