"""Sending statistics from the ledger (GetStatisticsReport) and abuse reports (GetAbuseReport)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from mailyard.domain import accounts, messages, schedules, visibility
from mailyard.errors import ErrorCode, InvalidInput
from mailyard.ports.reporting import ReportingRepositories
from mailyard.ports.store import Store

MAX_REPORT_DAYS = 366


@dataclass(frozen=True, kw_only=True)
class Report:
    daily: list[messages.Volume]  #: the days that have any ledger row, oldest first
    overall: messages.Volume  #: the whole range, dated by its first day


class StatisticsService:
    def __init__(self, store: Store[ReportingRepositories]) -> None:
        self._store = store

    async def report(
        self,
        principal: accounts.Principal,
        first_day: date,
        last_day: date,
        *,
        sender_domain: str | None = None,
        recipient_domain: str | None = None,
    ) -> Report:
        """Ledger counts per local day of the account, over the runs requested from first_day to last_day."""
        _check_range(first_day, last_day)
        zone = schedules.zone(principal.time_zone)
        start = schedules.start_of_day(first_day, principal.time_zone)
        end = schedules.start_of_day(last_day + timedelta(days=1), principal.time_zone)
        query = messages.VolumeQuery(
            start=start,
            end=end,
            offsets=messages.utc_offsets(start, end, zone),
            sender_domain=_domain(sender_domain),
            recipient_domain=_domain(recipient_domain),
        )
        async with self._store.transaction() as repositories:
            daily = await repositories.reporting.volumes(visibility.TaskScope.of(principal), query)
        overall = messages.Volume(day=first_day)
        for volume in daily:
            overall = replace(
                overall,
                requested=overall.requested + volume.requested,
                accepted=overall.accepted + volume.accepted,
                delivered=overall.delivered + volume.delivered,
                bounced=overall.bounced + volume.bounced,
                unsubscribed=overall.unsubscribed + volume.unsubscribed,
            )
        return Report(daily=daily, overall=overall)

    async def abuse_reports(self, principal: accounts.Principal, first_day: date, last_day: date) -> list[object]:
        """Spam complaints: Mailyard relays mail but receives no feedback loops, so there are none to report."""
        _check_range(first_day, last_day)
        schedules.zone(principal.time_zone)
        return []


def _check_range(first_day: date, last_day: date) -> None:
    schedules.check_day(first_day, "start_date")
    schedules.check_day(last_day, "end_date")
    if last_day < first_day:
        raise InvalidInput("the end date is before the start date", field="end_date", code=ErrorCode.DATE_RANGE_INVALID)
    if (last_day - first_day).days >= MAX_REPORT_DAYS:
        raise InvalidInput(
            f"at most {MAX_REPORT_DAYS} days at once", field="end_date", code=ErrorCode.DATE_RANGE_INVALID
        )


def _domain(value: str | None) -> str | None:
    cleaned = (value or "").strip().lower().lstrip("@")
    return cleaned or None
