"""A task's statistics card: which days it shows when none are asked for, and what each series adds up."""

from __future__ import annotations

from datetime import UTC, date, datetime

from mailyard.web.dashboard import task_insight

ZONE = "Asia/Shanghai"
TODAY = date(2026, 3, 20)


def test_the_default_range_is_two_weeks_up_to_today_but_not_before_the_tasks_first_local_day() -> None:
    old = datetime(2025, 1, 1, tzinfo=UTC)
    assert task_insight.date_range(old, TODAY, ZONE, None, None) == (date(2026, 3, 7), TODAY)
    # Created at 17:00 UTC on the 17th: already the 18th in Shanghai.
    recent = datetime(2026, 3, 17, 17, 0, tzinfo=UTC)
    assert task_insight.date_range(recent, TODAY, ZONE, None, None) == (date(2026, 3, 18), TODAY)
    asked = task_insight.date_range(recent, TODAY, ZONE, date(2026, 1, 1), date(2026, 1, 31))
    assert asked == (date(2026, 1, 1), date(2026, 1, 31))
    # A last day before the task existed still gives a range that ends there.
    assert task_insight.date_range(recent, TODAY, ZONE, None, date(2026, 3, 1)) == (date(2026, 3, 1), date(2026, 3, 1))
