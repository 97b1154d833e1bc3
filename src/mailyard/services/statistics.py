"""Sending statistics (GetStatisticsReport): requests and what happened to the copies, both from daily counters
(no scan of the ledger or the events); and abuse reports (GetAbuseReport)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from mailyard.domain import accounts, events, messages, paging, schedules, visibility
from mailyard.errors import ErrorCode, InvalidInput
from mailyard.ports.reporting import StatisticsRepositories
from mailyard.ports.store import Store

MAX_REPORT_DAYS = 366
_ADDED_UP = (
    "requested",
    "accepted",
    "delivered",
    "bounced",
    "unsubscribed",
    "opened",
    "clicked",
    "opened_by_humans",
    "opened_by_machines",
    "clicked_by_humans",
    "clicked_by_machines",
    "complained",
)


@dataclass(frozen=True, kw_only=True)
class Report:
    daily: list[messages.Volume]  #: the days that have any ledger row, oldest first
    overall: messages.Volume  #: the whole range, dated by its first day


class StatisticsService:
    def __init__(self, store: Store[StatisticsRepositories]) -> None:
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
        check_range(first_day, last_day)
        scope = visibility.TaskScope.of(principal)
        async with self._store.transaction() as repositories:
            counted = await repositories.events.daily(
                scope,
                first_day,
                last_day,
                sender_domain=_domain(sender_domain),
                recipient_domain=_domain(recipient_domain),
            )
        return report_of(counted, first_day)

    async def abuse_reports(
        self,
        principal: accounts.Principal,
        first_day: date,
        last_day: date,
        window: paging.Window,
        *,
        from_domain: str | None = None,
        from_address: str | None = None,
        recipient_domain: str | None = None,
        recipient: str | None = None,
        template_id: int | None = None,
    ) -> paging.Page[events.Complaint]:
        """Spam complaints (from feedback-loop reports) recorded between two local days, oldest first."""
        check_range(first_day, last_day)
        query = events.ComplaintQuery(
            start=schedules.start_of_day(first_day, principal.time_zone),
            end=schedules.start_of_day(last_day + timedelta(days=1), principal.time_zone),
            from_domain=_domain(from_domain),
            from_address=(from_address or "").strip().lower() or None,
            recipient_domain=_domain(recipient_domain),
            recipient=(recipient or "").strip().lower() or None,
            template_id=template_id,
        )
        async with self._store.transaction() as repositories:
            return await repositories.events.complaints(visibility.TaskScope.of(principal), query, window)


def report_of(counted: dict[date, dict[events.Counter, int]], first_day: date) -> Report:
    """The report of daily counters (of the tasks a caller sees, or of one task): its days and their sum."""
    daily = [_volume(day, counted[day]) for day in sorted(counted)]
    overall = messages.Volume(day=first_day)
    for volume in daily:
        overall = replace(overall, **{name: getattr(overall, name) + getattr(volume, name) for name in _ADDED_UP})
    return Report(daily=daily, overall=overall)


def _volume(day: date, counts: dict[events.Counter, int]) -> messages.Volume:
    """A day's ledger counters (requests) with its event counters (what happened to the copies)."""
    return messages.Volume(
        day=day,
        requested=counts.get(events.Counter.REQUESTED, 0),
        accepted=counts.get(events.Counter.ACCEPTED, 0),
        delivered=counts.get(events.Counter.DELIVERED, 0),
        bounced=counts.get(events.Counter.HARD_BOUNCE, 0),
        unsubscribed=counts.get(events.Counter.UNSUBSCRIBE, 0),
        opened=counts.get(events.Counter.UNIQUE_OPEN, 0),
        clicked=counts.get(events.Counter.UNIQUE_CLICK, 0),
        opened_by_humans=counts.get(events.Counter.UNIQUE_HUMAN_OPEN, 0),
        opened_by_machines=counts.get(events.Counter.UNIQUE_MACHINE_OPEN, 0),
        clicked_by_humans=counts.get(events.Counter.UNIQUE_HUMAN_CLICK, 0),
        clicked_by_machines=counts.get(events.Counter.UNIQUE_MACHINE_CLICK, 0),
        complained=counts.get(events.Counter.SPAMREPORT, 0),
    )


def check_range(first_day: date, last_day: date) -> None:
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
