"""Batch send tasks: BatchSendEmail and ListSendTasks (spec 1.3, 1.4 "Batch send tasks").

Times without a zone (``BeginTime``, ``CreateTime``) are in the account's time zone; the task's
name is its subject; ``TaskStatus`` is derived from the task's state, never stored.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from mailyard.domain import paging, recipients, schedules, tasks
from mailyard.domain.accounts import Principal
from mailyard.errors import InvalidInput
from mailyard.services.container import Services
from mailyard.services.tasks import TaskRequest
from mailyard.web.tencent.errors import TencentError
from mailyard.web.tencent.fields import Fields, Handler
from mailyard.web.tencent.template_param import SEND_PARAMS, read_template

TIMED_PARAMS = "MissingParameter.TimedParamNecessary"
CYCLE_PARAMS = "MissingParameter.CycleParamNecessary"
UNSUBSCRIBE_OPTIONS = frozenset(str(option) for option in range(13))
STATUS_BY_STATE = {
    tasks.TaskState.PENDING: 1,
    tasks.TaskState.SENDING: 5,
    tasks.TaskState.SUSPENDED: 6,
    tasks.TaskState.ERROR: 7,
    tasks.TaskState.DONE: 10,
    tasks.TaskState.CANCELLED: 10,
}
STATES_BY_STATUS: dict[int, list[tasks.TaskState]] = {}
for _state, _status in STATUS_BY_STATE.items():
    STATES_BY_STATUS.setdefault(_status, []).append(_state)


# ---- BatchSendEmail ----------------------------------------------------------------------------


def _subject(fields: Fields) -> str:
    subject = fields.text("Subject")
    if not 1 <= len(subject) <= tasks.MAX_SUBJECT_LENGTH:
        raise TencentError(
            "InvalidParameterValue.SubjectLengthError",
            f"The subject must be 1 to {tasks.MAX_SUBJECT_LENGTH} characters.",
        )
    return subject


def _begin_at(params: Fields, missing: str, time_zone: str) -> datetime:
    text = params.text("BeginTime", missing=missing)
    try:
        return schedules.parse_local_time(text, time_zone, field=params.name("BeginTime"))
    except InvalidInput:
        raise TencentError(
            "InvalidParameter.InvalidStartTimeFormat",
            f"{params.name('BeginTime')} must look like 2026-01-31 09:00:00.",
        ) from None


def _schedule(fields: Fields, task_type: tasks.TaskType, time_zone: str) -> tasks.Schedule:
    if task_type is tasks.TaskType.SCHEDULED:
        timed = fields.nested("TimedParam", missing=TIMED_PARAMS)
        assert timed is not None
        return tasks.Schedule(type=task_type, begin_at=_begin_at(timed, TIMED_PARAMS, time_zone))
    if task_type is tasks.TaskType.RECURRING:
        cycle = fields.nested("CycleParam", missing=CYCLE_PARAMS)
        assert cycle is not None
        begin_at = _begin_at(cycle, CYCLE_PARAMS, time_zone)
        interval = cycle.uint("IntervalTime", missing=CYCLE_PARAMS, minimum=1, maximum=tasks.MAX_INTERVAL_HOURS)
        terminated = cycle.optional_choice("TermCycle", (0, 1)) == 1
        return tasks.Schedule(type=task_type, begin_at=begin_at, interval_hours=interval, terminated=terminated)
    return tasks.Schedule(type=task_type)


def _reply_to(fields: Fields) -> str | None:
    reply_to = (fields.optional_text("ReplyToAddresses") or "").strip()
    if reply_to and recipients.address_problem(reply_to):
        raise TencentError("InvalidParameterValue.IllegalEmailAddress", "ReplyToAddresses is not a valid address.")
    return reply_to or None


def _unsubscribe(fields: Fields) -> str | None:
    option = fields.optional_text("Unsubscribe")
    if option is not None and option not in UNSUBSCRIBE_OPTIONS:
        raise TencentError("InvalidParameterValue", 'Unsubscribe must be one of "0" to "12".')
    return None if option in (None, "0") else option


def _task_request(fields: Fields, time_zone: str) -> TaskRequest:
    from_address = fields.text("FromEmailAddress", missing=SEND_PARAMS)
    list_id = fields.uint("ReceiverId", missing="MissingParameter.ReceiverIdNecessary")
    subject = _subject(fields)
    task_type = tasks.TaskType(fields.choice("TaskType", (1, 2, 3)))
    template_id, variables = read_template(fields, required="FromEmailAddress, ReceiverId and Template")
    fields.optional_choice("ADLocation", (0, 1, 2))
    if fields.nested_list("Attachments", missing=None):
        raise TencentError("UnsupportedOperation", "Attachments are not supported for batch send tasks.")
    return TaskRequest(
        name=None,
        from_address=from_address,
        reply_to=_reply_to(fields),
        subject=subject,
        template_id=template_id,
        variables=variables,
        recipient_list_id=list_id,
        schedule=_schedule(fields, task_type, time_zone),
        unsubscribe=_unsubscribe(fields),
    )


# ---- ListSendTasks -----------------------------------------------------------------------------


def _task_filter(fields: Fields) -> tasks.TaskFilter:
    status = fields.optional_choice("Status", sorted(STATES_BY_STATUS))
    task_type = fields.optional_choice("TaskType", (1, 2, 3))
    return tasks.TaskFilter(
        states=None if status is None else tuple(STATES_BY_STATUS[status]),
        type=None if task_type is None else tasks.TaskType(task_type),
        recipient_list_id=fields.optional_uint("ReceiverId"),
    )


def _send_task_data(task: tasks.Task, list_name: str, time_zone: str) -> dict[str, Any]:
    schedule, counters = task.schedule, task.counters
    begin = schedules.format_local_time(schedule.begin_at, time_zone) if schedule.begin_at else None
    recurring = schedule.type is tasks.TaskType.RECURRING
    return {
        "TaskId": task.id,
        "FromEmailAddress": task.from_address,
        "ReceiverId": task.recipient_list_id or 0,
        "TaskStatus": STATUS_BY_STATE[task.state],
        "TaskType": int(schedule.type),
        "RequestCount": counters.requested,
        "SendCount": counters.sent,
        "CacheCount": counters.cached,
        "CreateTime": schedules.format_local_time(task.created_at, time_zone),
        "UpdateTime": schedules.format_local_time(task.updated_at, time_zone),
        "Subject": task.subject,
        "Template": {
            "TemplateID": task.template_id,
            "TemplateData": json.dumps(task.variables, ensure_ascii=False, separators=(",", ":")),
        },
        "CycleParam": (
            {"BeginTime": begin, "IntervalTime": schedule.interval_hours, "TermCycle": int(schedule.terminated)}
            if recurring
            else None
        ),
        "TimedParam": {"BeginTime": begin} if schedule.type is tasks.TaskType.SCHEDULED else None,
        "ErrMsg": task.error_message or "",
        "ReceiversName": list_name,
    }


def actions(services: Services) -> dict[str, Handler]:
    async def batch_send_email(principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
        request = _task_request(Fields(params), principal.time_zone)
        task = await services.tasks.create(principal, request)
        return {"TaskId": task.id}

    async def list_send_tasks(principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
        fields = Fields(params)
        window = paging.Window(offset=fields.offset(), limit=fields.limit())
        page = await services.tasks.list_with_list_names(principal, _task_filter(fields), window)
        data = [_send_task_data(task, list_name, principal.time_zone) for task, list_name in page.items]
        return {"TotalCount": page.total, "Data": data}

    return {"BatchSendEmail": batch_send_email, "ListSendTasks": list_send_tasks}
