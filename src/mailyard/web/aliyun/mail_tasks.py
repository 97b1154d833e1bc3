"""The three Quick BI mail-task actions over the shared task services (spec Part 2, section 2.2):
`GetMailTaskList`, `GetMailTaskStatus` and `ManualRunMailTask`."""

from __future__ import annotations

import math
from typing import Any

from mailyard.domain import accounts, identifiers, paging, runs, schedules, tasks
from mailyard.services.container import Services
from mailyard.web.aliyun.errors import AliyunError
from mailyard.web.aliyun.parameters import bool_param, int_param, text_param
from mailyard.web.doors import ActionTable

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
EXEC_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _mail_id(params: dict[str, Any]) -> int:
    """`MailId` is the task id as a string; absent or empty is `MailId.Is.Null` (spec 2.2)."""
    value = (text_param(params, "MailId") or "").strip()
    if not value:
        raise AliyunError("MailId.Is.Null", "The Mail Id Is Null.")
    # ASCII digits only: str.isdigit() also takes "²" or "٣", which int() then refuses.
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise AliyunError("Mail.Not.Found", "The Subscription Task Does Not Exist.")
    return int(value)


def _task_item(task: tasks.Task) -> dict[str, Any]:
    return {
        "MailId": str(task.id),
        "Paused": task.paused,
        "BizOwnerUserId": str(task.owner_id),
        "BizOwnerName": task.owner_nickname,
        "SubscribeName": task.name,
    }


def _run_item(run: runs.Run, time_zone: str) -> dict[str, Any]:
    # lowerCamelCase here, unlike every other Quick BI field (spec 5, gotcha 6).
    return {
        "mailId": str(run.task_id),
        "taskId": run.id,
        "status": run.status.value.upper(),
        "execTime": schedules.format_local_time(run.created_at, time_zone),
    }


async def get_mail_task_list(
    services: Services, principal: accounts.Principal, params: dict[str, Any]
) -> dict[str, Any]:
    """Page through the tasks the caller may see, by owner nickname and paused flag."""
    page_number = int_param(params, "PageNum", 1, minimum=1, maximum=1_000_000)
    page_size = int_param(params, "PageSize", DEFAULT_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE)
    task_filter = tasks.TaskFilter(
        owner_nickname=text_param(params, "UserNick") or None, paused=bool_param(params, "Paused")
    )
    window = paging.Window(offset=(page_number - 1) * page_size, limit=page_size)
    page = await services.tasks.list(principal, task_filter, window)
    total_pages = math.ceil(page.total / page_size)
    return {
        "PageNum": page_number,
        "PageSize": page_size,
        "TotalNum": page.total,
        "TotalPages": total_pages,
        # Beyond the last page, Pre points back at the last one; 0 means "none" (spec 2.2).
        "Pre": min(page_number - 1, total_pages) if page_number > 1 else 0,
        "Next": page_number + 1 if page_number < total_pages else 0,
        "Data": [_task_item(task) for task in page.items],
    }


async def get_mail_task_status(
    services: Services, principal: accounts.Principal, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """The latest run of a task, or the run named by `TaskId`; empty before the first run."""
    mail_id = _mail_id(params)
    run_id = int_param(params, "TaskId", minimum=1, maximum=identifiers.MAX_ID)
    run = await services.tasks.get_run(principal, mail_id, run_id)
    return [] if run is None else [_run_item(run, principal.time_zone)]


async def manual_run_mail_task(services: Services, principal: accounts.Principal, params: dict[str, Any]) -> bool:
    """Start a run now through the engine; refused while one is running."""
    mail_id = _mail_id(params)
    await services.tasks.run_now(principal, mail_id)
    return True


ACTIONS: ActionTable = {
    "GetMailTaskList": get_mail_task_list,
    "GetMailTaskStatus": get_mail_task_status,
    "ManualRunMailTask": manual_run_mail_task,
}
