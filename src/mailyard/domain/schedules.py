"""Fire times: when a task's schedule is due, and what comes next. Pure functions over UTC-aware times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailyard.domain.tasks import EARLIEST_BEGIN_AT, LATEST_BEGIN_AT, Schedule, TaskType
from mailyard.errors import ErrorCode, InvalidInput

LOCAL_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def zone(name: str) -> ZoneInfo:
    """A time zone by IANA name, with a clear error for unknown names."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(f"unknown time zone: {name!r}", field="time_zone") from error


def check_day(day: date, field: str) -> date:
    """A calendar day a caller names (a begin time, a report or filter range, an expiry), within the years
    Mailyard reckons with: a day before year 1 or after 9999 cannot even be moved to UTC or to the next day."""
    if not EARLIEST_BEGIN_AT.date() <= day < LATEST_BEGIN_AT.date():
        raise InvalidInput(
            f"{field} must be between {EARLIEST_BEGIN_AT:%Y-%m-%d} and {LATEST_BEGIN_AT:%Y-%m-%d}",
            field=field,
            code=ErrorCode.DATE_OUT_OF_RANGE,
        )
    return day


def start_of_day(day: date, time_zone: str) -> datetime:
    """Midnight of a calendar day in the account's zone, as UTC: what dates and date filters mean. The day, or
    the one before it, has passed `check_day`."""
    return datetime.combine(day, time.min, tzinfo=zone(time_zone)).astimezone(UTC)


def parse_local_time(text: str, time_zone: str, *, field: str = "begin_time") -> datetime:
    """Read `YYYY-MM-DD HH:MM:SS` in the account's zone (the cloud APIs give no zone) as UTC."""
    try:
        naive = datetime.strptime(text.strip(), LOCAL_TIME_FORMAT)
    except ValueError as error:
        raise InvalidInput(f"time must look like 2026-01-31 09:00:00, got {text!r}", field=field) from error
    check_day(naive.date(), field)
    return naive.replace(tzinfo=zone(time_zone)).astimezone(UTC)


def format_local_time(moment: datetime, time_zone: str) -> str:
    """Show a UTC time in the account's zone as `YYYY-MM-DD HH:MM:SS`."""
    return moment.astimezone(zone(time_zone)).strftime(LOCAL_TIME_FORMAT)


def first_fire_at(schedule: Schedule, now: datetime) -> datetime:
    """The first time a new task should fire."""
    if schedule.type is TaskType.IMMEDIATE or schedule.begin_at is None:
        return now
    return schedule.begin_at


def latest_due(schedule: Schedule, next_fire_at: datetime, now: datetime) -> datetime:
    """The fire time to run now: missed recurring times collapse into the latest one, so it runs once."""
    if schedule.type is not TaskType.RECURRING or schedule.interval_hours is None or now <= next_fire_at:
        return next_fire_at
    interval = timedelta(hours=schedule.interval_hours)
    missed = (now - next_fire_at) // interval
    return next_fire_at + missed * interval


def following_fire_at(schedule: Schedule, fired_at: datetime) -> datetime | None:
    """The fire time after `fired_at`, or None when the task fires only once or was terminated."""
    if schedule.type is not TaskType.RECURRING or schedule.interval_hours is None or schedule.terminated:
        return None
    return fired_at + timedelta(hours=schedule.interval_hours)
