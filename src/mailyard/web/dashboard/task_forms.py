"""The new-task form: what it offers to choose from, and how its fields become a task request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from markupsafe import Markup
from pydantic import BaseModel, Field

from mailyard.domain import accounts, events, identities, paging, recipients, runs, schedules, tasks, templates
from mailyard.domain.suppressions import local_day
from mailyard.errors import InvalidInput, NotFound
from mailyard.services.container import Services
from mailyard.services.tasks import TaskRequest
from mailyard.web.dashboard import charts
from mailyard.web.dashboard.labels import translatable

CHOICES_LIMIT = 200
RUN_SERIES = (
    (translatable("Requested"), "requested"),
    (translatable("Sent"), "delivered"),
    (translatable("Failed"), "bounced"),
)
RUNS_TITLE = translatable("Runs per day")
UNSUBSCRIBE_OPTIONS = ("0", "1", "2")  #: no link, a link in Chinese, a link in English (Tencent's numbers)


class TaskForm(BaseModel):
    name: str = Field(default="", max_length=200)
    sender: str = Field(min_length=1, max_length=320)
    subject: str = Field(min_length=1, max_length=200)
    template: int = Field(ge=1, le=2**63 - 1)
    recipient_list: int = Field(ge=1, le=2**63 - 1)
    when: Literal["now", "at", "every"] = "now"
    begin_at: str = Field(default="", max_length=40)  #: datetime-local, in the account's time zone
    interval_hours: int | None = Field(default=None, ge=1, le=tasks.MAX_INTERVAL_HOURS)
    unsubscribe: Literal["0", "1", "2"] = "0"


@dataclass(frozen=True)
class Choices:
    senders: list[identities.SenderAddress]
    templates: list[templates.Template]
    lists: list[recipients.RecipientList]


async def choices(services: Services, principal: accounts.Principal) -> Choices:
    window = paging.Window(limit=CHOICES_LIMIT)
    return Choices(
        senders=await services.identities.list_senders(principal),
        templates=(await services.templates.list(principal, window)).items,
        lists=(await services.recipients.list_lists(principal, window)).items,
    )


async def reference_names(services: Services, principal: accounts.Principal, task: tasks.Task) -> dict[str, str]:
    """The names of the task's template and list, for its page; a deleted one keeps its number only."""
    names: dict[str, str] = {}
    try:
        if task.template_id is not None:  # None for mail submitted over SMTP
            names["template"] = (await services.templates.get(principal, task.template_id)).name
        if task.recipient_list_id is not None:
            names["list"] = (await services.recipients.get_list(principal, task.recipient_list_id)).name
    except NotFound:
        pass
    return names


def task_request(form: TaskForm, time_zone: str) -> TaskRequest:
    return TaskRequest(
        name=form.name.strip() or None,
        from_address=form.sender,
        reply_to=None,
        subject=form.subject,
        template_id=form.template,
        variables={},
        recipient_list_id=form.recipient_list,
        schedule=_schedule(form, time_zone),
        unsubscribe=None if form.unsubscribe == "0" else form.unsubscribe,
    )


def _schedule(form: TaskForm, time_zone: str) -> tasks.Schedule:
    if form.when == "now":
        return tasks.Schedule(type=tasks.TaskType.IMMEDIATE)
    begin_at = schedules.parse_local_time(_seconds(form.begin_at), time_zone, field="begin_at")
    if form.when == "at":
        return tasks.Schedule(type=tasks.TaskType.SCHEDULED, begin_at=begin_at)
    if form.interval_hours is None:
        raise InvalidInput("a recurring task needs an interval in hours", field="interval_hours")
    return tasks.Schedule(type=tasks.TaskType.RECURRING, begin_at=begin_at, interval_hours=form.interval_hours)


def _seconds(local: str) -> str:
    """A browser's `2026-01-31T09:00` as the `2026-01-31 09:00:00` the schedule reader takes."""
    text = local.strip().replace("T", " ")
    return f"{text}:00" if len(text) == len("2026-01-31 09:00") else text


def progress(task: tasks.Task, engagement: events.Engagement) -> dict[str, int]:
    """The counters a task page shows and its script refreshes; `percent` is what the bar fills with."""
    counters = task.counters
    finished = counters.sent + counters.failed + counters.skipped
    return {
        "requested": counters.requested,
        "sent": counters.sent,
        "cached": counters.cached,
        "failed": counters.failed,
        "skipped": counters.skipped,
        "percent": round(100 * finished / counters.requested) if counters.requested else 0,
        "opened": engagement.unique_opens,
        "clicked": engagement.unique_clicks,
        "bounced": engagement.hard_bounces + engagement.soft_bounces,
    }


def runs_chart(task_runs: list[runs.Run], time_zone: str, translate: Callable[[str], str]) -> Markup | None:
    """The task's runs added up per local day of their fire time, as a chart; None before its second day."""
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for run in task_runs:
        totals = per_day[local_day(run.fire_at, time_zone)]
        totals[0] += run.requested
        totals[1] += run.sent
        totals[2] += run.failed
    if len(per_day) < 2:
        return None
    first, last = min(per_day), max(per_day)
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    series = [
        charts.Series(translate(label), css, [per_day[day][index] if day in per_day else 0 for day in days])
        for index, (label, css) in enumerate(RUN_SERIES)
    ]
    return Markup(charts.daily_bars(days, series, title=translate(RUNS_TITLE)))
