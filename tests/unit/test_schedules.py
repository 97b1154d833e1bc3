"""Fire times: pure functions over UTC-aware times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mailyard.domain import schedules
from mailyard.domain.tasks import Schedule, TaskType
from mailyard.errors import InvalidInput

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
BEGIN = NOW + timedelta(hours=2)


def test_first_fire_time_is_now_for_immediate_tasks_and_the_begin_time_otherwise() -> None:
    assert schedules.first_fire_at(Schedule(type=TaskType.IMMEDIATE), NOW) == NOW
    assert schedules.first_fire_at(Schedule(type=TaskType.SCHEDULED, begin_at=BEGIN), NOW) == BEGIN
    recurring = Schedule(type=TaskType.RECURRING, begin_at=BEGIN, interval_hours=24)
    assert schedules.first_fire_at(recurring, NOW) == BEGIN


def test_missed_recurring_times_collapse_into_the_latest() -> None:
    hourly = Schedule(type=TaskType.RECURRING, begin_at=BEGIN, interval_hours=1)
    assert schedules.latest_due(hourly, BEGIN, BEGIN - timedelta(minutes=1)) == BEGIN
    assert schedules.latest_due(hourly, BEGIN, BEGIN + timedelta(hours=5, minutes=30)) == BEGIN + timedelta(hours=5)
    once = Schedule(type=TaskType.SCHEDULED, begin_at=BEGIN)
    assert schedules.latest_due(once, BEGIN, BEGIN + timedelta(days=3)) == BEGIN


def test_only_a_recurring_task_that_was_not_terminated_fires_again() -> None:
    daily = Schedule(type=TaskType.RECURRING, begin_at=BEGIN, interval_hours=24)
    assert schedules.following_fire_at(daily, BEGIN) == BEGIN + timedelta(days=1)
    terminated = Schedule(type=TaskType.RECURRING, begin_at=BEGIN, interval_hours=24, terminated=True)
    assert schedules.following_fire_at(terminated, BEGIN) is None
    assert schedules.following_fire_at(Schedule(type=TaskType.SCHEDULED, begin_at=BEGIN), BEGIN) is None


def test_local_times_read_and_shown_in_the_account_zone() -> None:
    moment = schedules.parse_local_time("2026-03-02 09:00:00", "Asia/Shanghai")
    assert moment == NOW
    assert schedules.format_local_time(moment, "Asia/Shanghai") == "2026-03-02 09:00:00"
    assert schedules.format_local_time(moment, "UTC") == "2026-03-02 01:00:00"


@pytest.mark.parametrize("text", ["2026-03-02", "2026-02-30 09:00:00", "tomorrow", "2026-03-02T09:00:00"])
def test_unreadable_local_times_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput, match="2026-01-31 09:00:00"):
        schedules.parse_local_time(text, "Asia/Shanghai")


def test_unknown_zone_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="unknown time zone"):
        schedules.zone("Mars/Olympus_Mons")


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        ({"type": TaskType.SCHEDULED}, "begin_at"),
        ({"type": TaskType.RECURRING, "begin_at": BEGIN}, "interval_hours"),
        ({"type": TaskType.RECURRING, "begin_at": BEGIN, "interval_hours": 24 * 367}, "interval_hours"),
        ({"type": TaskType.SCHEDULED, "begin_at": datetime(9999, 1, 1, tzinfo=UTC)}, "begin_at"),
    ],
)
def test_impossible_schedules_are_refused(schedule: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Schedule(**schedule)  # type: ignore[arg-type]
    assert refused.value.field == field
