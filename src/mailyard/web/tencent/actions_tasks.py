"""Batch send tasks: BatchSendEmail and ListSendTasks (spec 1.3, 1.4 "Batch send tasks").

Times without a zone (``BeginTime``, ``CreateTime``) are in the account's time zone; the task's
name is its subject; ``TaskStatus`` is derived from the task's state, never stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mailyard.domain import documents, paging, schedules, tasks
from mailyard.domain.accounts import Principal
from mailyard.errors import InvalidInput
from mailyard.services.container import Services
from mailyard.services.tasks import TaskRequest
from mailyard.web.doors import ActionTable
from mailyard.web.tencent.envelope import RawJson
from mailyard.web.tencent.errors import TencentError
from mailyard.web.tencent.fields import Fields
from mailyard.web.tencent.template_param import SEND_PARAMS, read_template

TIMED_PARAMS = "MissingParameter.TimedParamNecessary"
CYCLE_PARAMS = "MissingParameter.CycleParamNecessary"
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


def _task_request(fields: Fields, time_zone: str) -> TaskRequest:
    from_address = fields.text("FromEmailAddress", missing=SEND_PARAMS)
    list_id = fields.id("ReceiverId", missing="MissingParameter.ReceiverIdNecessary")
    subject = fields.text("Subject")
    task_type = tasks.TaskType(fields.choice("TaskType", (1, 2, 3)))
    template_id, variables = read_template(fields, required="FromEmailAddress, ReceiverId and Template")
    fields.optional_choice("ADLocation", (0, 1, 2))
    if fields.nested_list("Attachments", missing=None):
        raise TencentError("UnsupportedOperation", "Attachments are not supported for batch send tasks.")
    return TaskRequest(
        name=None,
        from_address=from_address,
        reply_to=fields.optional_text("ReplyToAddresses"),
        subject=subject,
        template_id=template_id,
        variables=variables,
        recipient_list_id=list_id,
        schedule=_schedule(fields, task_type, time_zone),
        unsubscribe=fields.optional_text("Unsubscribe"),
    )


# ---- ListSendTasks -----------------------------------------------------------------------------


def _task_filter(fields: Fields) -> tasks.TaskFilter:
    status = fields.optional_choice("Status", sorted(STATES_BY_STATUS))
    task_type = fields.optional_choice("TaskType", (1, 2, 3))
    return tasks.TaskFilter(
        states=None if status is None else tuple(STATES_BY_STATUS[status]),
        type=None if task_type is None else tasks.TaskType(task_type),
        recipient_list_id=fields.optional_id("ReceiverId"),
    )


F = documents.TaskField
# One task of ListSendTasks.Data (spec 1.4 "SendTaskData"); the store renders it where the rows are.
SEND_TASK_DATA = documents.Document.of(
    TaskId=documents.Value(F.ID),
    FromEmailAddress=documents.Value(F.FROM_ADDRESS),
    ReceiverId=documents.Value(F.RECIPIENT_LIST_ID, when_null=0),
    TaskStatus=documents.Choice.of(F.STATE, STATUS_BY_STATE),
    TaskType=documents.Value(F.TASK_TYPE),
    RequestCount=documents.Value(F.REQUESTED),
    SendCount=documents.Value(F.SENT),
    CacheCount=documents.Value(F.CACHED),
    CreateTime=documents.LocalTime(F.CREATED_AT),
    UpdateTime=documents.LocalTime(F.UPDATED_AT),
    Subject=documents.Value(F.SUBJECT),
    Template=documents.Document.of(
        TemplateID=documents.Value(F.TEMPLATE_ID), TemplateData=documents.Value(F.VARIABLES)
    ),
    CycleParam=documents.When(
        F.TASK_TYPE,
        tasks.TaskType.RECURRING,
        documents.Document.of(
            BeginTime=documents.LocalTime(F.BEGIN_AT),
            IntervalTime=documents.Value(F.INTERVAL_HOURS),
            TermCycle=documents.Choice.of(F.TERMINATED, {False: 0, True: 1}),
        ),
    ),
    TimedParam=documents.When(
        F.TASK_TYPE, tasks.TaskType.SCHEDULED, documents.Document.of(BeginTime=documents.LocalTime(F.BEGIN_AT))
    ),
    ErrMsg=documents.Value(F.ERROR_MESSAGE, when_null=""),
    ReceiversName=documents.Value(F.LIST_NAME, when_null=""),
)


async def batch_send_email(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    request = _task_request(Fields(params), principal.time_zone)
    task = await services.tasks.create(principal, request)
    return {"TaskId": task.id}


async def list_send_tasks(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    window = paging.Window(offset=fields.offset(), limit=fields.limit())
    page = await services.tasks.list_documents(principal, _task_filter(fields), window, SEND_TASK_DATA)
    return {"TotalCount": page.total, "Data": RawJson(page.documents)}


ACTIONS: ActionTable = {
    "BatchSendEmail": batch_send_email,
    "ListSendTasks": list_send_tasks,
}
