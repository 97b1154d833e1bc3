"""The server-drawn charts: an accessible SVG with one bar per series and day, and a task's runs per day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from mailyard.domain import runs
from mailyard.web.dashboard import charts, task_forms


def _run(number: int, fire_at: datetime, sent: int) -> runs.Run:
    return runs.Run(
        id=number,
        task_id=1,
        account_id=1,
        kind=runs.RunKind.SCHEDULED,
        fire_at=fire_at,
        status=runs.RunStatus.SENT,
        requested=sent + 1,
        sent=sent,
        failed=1,
        skipped=0,
        created_at=fire_at,
        finished_at=fire_at,
    )


def test_bars_scale_to_a_round_top_and_say_what_they_show() -> None:
    days = [date(2026, 3, 1), date(2026, 3, 2)]
    svg = charts.daily_bars(
        days,
        [charts.Series("Sent <b>", "delivered", [10, 37]), charts.Series("Failed", "bounced", [0, 3])],
        title="Per day & more",
    )
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-label="Per day &amp; more"' in svg
    assert svg.count("<rect") == 4
    assert "Sent &lt;b&gt;: 37" in svg and "<b>" not in svg
    assert ">40</text>" in svg  # the top grid line is a round number above the largest value


def test_a_tasks_runs_are_charted_per_local_day_once_there_are_two_days() -> None:
    first = _run(1, datetime(2026, 3, 1, 15, 0, tzinfo=UTC), 5)  # 23:00 in Shanghai
    assert task_forms.runs_chart([first], "Asia/Shanghai", str) is None
    later = _run(2, datetime(2026, 3, 1, 17, 0, tzinfo=UTC), 7)  # 01:00 the next day in Shanghai
    chart = task_forms.runs_chart([first, later], "Asia/Shanghai", str)
    assert chart is not None
    assert "2026-03-01 Sent: 5" in chart and "2026-03-02 Sent: 7" in chart
