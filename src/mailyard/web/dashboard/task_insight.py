"""A task's own statistics on its page: what happened to its copies per day, as a chart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from markupsafe import Markup

from mailyard.domain import accounts, events, runs, tasks
from mailyard.domain.suppressions import local_day
from mailyard.services.container import Services
from mailyard.web.dashboard import charts
from mailyard.web.dashboard.labels import translatable

DEFAULT_DAYS = 14
CHART_TITLE = translatable("What happened to the messages, per day")
#: (name, label, colour, counters added up); "sent" comes from the task's runs, the others from its events.
SERIES: tuple[tuple[str, str, str, tuple[events.Counter, ...]], ...] = (
    ("sent", translatable("Sent"), "sent", ()),
    ("delivered", translatable("Delivered"), "delivered", (events.Counter.DELIVERED,)),
    ("bounced", translatable("Bounced"), "bounced", (events.Counter.HARD_BOUNCE, events.Counter.SOFT_BOUNCE)),
    ("complained", translatable("Complained"), "complained", (events.Counter.SPAMREPORT,)),
    ("opened", translatable("Opened"), "opened", (events.Counter.UNIQUE_OPEN,)),
    ("clicked", translatable("Clicked"), "clicked", (events.Counter.UNIQUE_CLICK,)),
    ("unsubscribed", translatable("Unsubscribed"), "unsubscribed", (events.Counter.UNSUBSCRIBE,)),
)


def date_range(
    created_at: datetime, today: date, time_zone: str, start: date | None, end: date | None
) -> tuple[date, date]:
    """The days asked for, else the last two weeks up to today, starting no earlier than the task's first day."""
    last = end or today
    first = start or max(last - timedelta(days=DEFAULT_DAYS - 1), min(local_day(created_at, time_zone), last))
    return first, last


async def context(
    services: Services,
    principal: accounts.Principal,
    task: tasks.Task,
    task_runs: list[runs.Run],
    days: tuple[date, date],
    translate: Callable[[str], str],
) -> dict[str, Any]:
    """What the task page's statistics card shows."""
    first, last = days
    reports = services.engagement_reports
    counted = await reports.task_daily(principal, task.id, first, last)
    sent: dict[date, int] = {}
    for run in task_runs:
        day = local_day(run.fire_at, principal.time_zone)
        sent[day] = sent.get(day, 0) + run.sent
    every_day = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    series = [
        charts.Series(translate(label), colour, [_value(name, counters, counted, sent, day) for day in every_day])
        for name, label, colour, counters in SERIES
    ]
    drawn = any(any(item.values) for item in series)
    chart = Markup(charts.daily_bars(every_day, series, title=translate(CHART_TITLE))) if drawn else None
    return {
        "insight_chart": chart,
        "insight_series": SERIES,
        "insight_first": first,
        "insight_last": last,
    }


def _value(
    name: str,
    counters: tuple[events.Counter, ...],
    counted: dict[date, dict[events.Counter, int]],
    sent: dict[date, int],
    day: date,
) -> int:
    if name == "sent":
        return sent.get(day, 0)
    found = counted.get(day, {})
    return sum(found.get(counter, 0) for counter in counters)
