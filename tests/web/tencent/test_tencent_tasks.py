"""BatchSendEmail and ListSendTasks through the official SDK against real `mailyard serve` processes:
the whole workflow with the SDK alone, delivery to a real SMTP relay and to the outbox, and the same
tasks seen through the Quick BI door.
"""

from __future__ import annotations

import email
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import Message
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from alibabacloud_quickbi_public20220101 import models as quickbi
from alibabacloud_quickbi_public20220101.client import Client as QuickBiClient
from alibabacloud_tea_openapi import utils_models as open_api_models
from tencentcloud.ses.v20201002 import models
from tests.web.conftest import LiveService, free_port
from tests.web.tencent.tencent_live import add_user, expect_code, live_service, request, ses, template_content

SHANGHAI = ZoneInfo("Asia/Shanghai")
DONE = 10
SETTLE_SECONDS = 60


class Sink:
    """An aiosmtpd handler that keeps what it receives and signals once enough arrived."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.expected = 0
        self.arrived = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)))
        if len(self.messages) >= self.expected:
            self.arrived.set()
        return "250 OK"


@pytest.fixture(scope="module")
def relay() -> Iterator[tuple[Sink, int]]:
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture(scope="module")
def relayed(tmp_path_factory: pytest.TempPathFactory, relay: tuple[Sink, int]) -> Iterator[LiveService]:
    extra = {"MAILYARD_RELAYS": f"smtp://127.0.0.1:{relay[1]}"}
    with live_service(tmp_path_factory.mktemp("relayed"), extra) as live:
        live.create_key("acme", "admin")
        yield live


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def outboxed(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[LiveService]:
    """On SQLite (pages of tasks rendered in Python) and on PostgreSQL (rendered by the database)."""
    # The error cases run back to back, faster than the 20 requests a second of the default throttle.
    settings = {"MAILYARD_TENCENT_RATE_LIMIT": "1000"}
    server = request.getfixturevalue("postgres_server") if request.param == "postgres" else None
    if server is not None:
        settings["MAILYARD_DATABASE_URL"] = server.copy_of_template()
    try:
        with live_service(tmp_path_factory.mktemp("outboxed"), settings) as live:
            live.create_key("acme", "admin")
            add_user(live, "admin", "alice")
            add_user(live, "admin", "bob")
            yield live
    finally:
        if server is not None:
            server.drop(settings["MAILYARD_DATABASE_URL"])


@pytest.fixture(scope="module")
def list_id(outboxed: LiveService) -> int:
    return set_up_account(outboxed)


def local_time(delta: timedelta) -> str:
    return (datetime.now(SHANGHAI) + delta).strftime("%Y-%m-%d %H:%M:%S")


def set_up_account(service: LiveService) -> int:
    """Domain, sender, template and a list with per-recipient data, through the SDK alone; the list id."""
    client = ses(service, "admin")
    client.CreateEmailIdentity(request(models.CreateEmailIdentityRequest, EmailIdentity="mail.example.com"))
    client.CreateEmailAddress(
        request(models.CreateEmailAddressRequest, EmailAddress="news@mail.example.com", EmailSenderName="News")
    )
    content = template_content("Hi {{name}} from {{team}}", "<p>Hi {{name}} from {{team}}</p>")
    made = client.CreateEmailTemplate(
        request(models.CreateEmailTemplateRequest, TemplateName="hello", TemplateContent=content)
    )
    assert made.TemplateID == 1
    list_id = int(client.CreateReceiver(request(models.CreateReceiverRequest, ReceiversName="friends")).ReceiverId)
    datas = [
        request(models.ReceiverInputData, Email="ada@example.org", TemplateData=json.dumps({"name": "Ada"})),
        request(models.ReceiverInputData, Email="alan@example.org", TemplateData=json.dumps({"name": "Alan"})),
    ]
    client.CreateReceiverDetailWithData(
        request(models.CreateReceiverDetailWithDataRequest, ReceiverId=list_id, Datas=datas)
    )
    return list_id


def batch(service: LiveService, user: str, list_id: int, task_type: int, **fields: Any) -> int:
    template = request(models.Template, TemplateID=1, TemplateData=json.dumps({"team": "Mailyard"}))
    sent = ses(service, user).BatchSendEmail(
        request(
            models.BatchSendEmailRequest,
            FromEmailAddress="News <news@mail.example.com>",
            ReceiverId=list_id,
            Subject=fields.pop("Subject", "Hello {{name}}"),
            TaskType=task_type,
            Template=fields.pop("Template", template),
            **fields,
        )
    )
    return int(sent.TaskId)


def tasks_by_id(service: LiveService, user: str = "admin", method: str = "POST", **filters: Any) -> dict[int, Any]:
    listed = ses(service, user, method).ListSendTasks(
        request(models.ListSendTasksRequest, Offset=0, Limit=100, **filters)
    )
    assert listed.TotalCount == len(listed.Data)
    return {item.TaskId: item for item in listed.Data}


def wait_until_done(service: LiveService, task_id: int) -> Any:
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        task = tasks_by_id(service)[task_id]
        if task.TaskStatus == DONE:
            return task
        time.sleep(0.2)
    raise AssertionError(f"task {task_id} did not finish: {task}")


def text_of(raw: bytes) -> str:
    message = email.message_from_bytes(raw)
    parts: list[Message] = list(message.walk()) if message.is_multipart() else [message]
    texts = [part.get_payload(decode=True) for part in parts if part.get_content_type() == "text/plain"]
    return b"".join(text for text in texts if isinstance(text, bytes)).decode()


def ledger_total(service: LiveService, task_id: int) -> int:
    return int(service.call("admin", "GET", f"/tasks/{task_id}/deliveries?limit=1")["total"])


def test_workflow_delivers_through_a_relay(relayed: LiveService, relay: tuple[Sink, int]) -> None:
    sink = relay[0]
    sink.expected = 2
    list_id = set_up_account(relayed)
    task_id = batch(relayed, "admin", list_id, 1, ReplyToAddresses="help@example.com")
    assert sink.arrived.wait(SETTLE_SECONDS), sink.messages
    task = wait_until_done(relayed, task_id)
    assert (task.RequestCount, task.SendCount, task.CacheCount) == (2, 2, 0)
    assert task.RequestCount == ledger_total(relayed, task_id)
    bodies = {recipients[0]: raw for recipients, raw in sink.messages}
    assert set(bodies) == {"ada@example.org", "alan@example.org"}
    assert "Hi Ada from Mailyard" in text_of(bodies["ada@example.org"])
    ada = email.message_from_bytes(bodies["ada@example.org"])
    assert (ada["Subject"], ada["Reply-To"]) == ("Hello Ada", "help@example.com")
    assert "news@mail.example.com" in ada["From"]


def test_every_task_type_through_the_sdk(outboxed: LiveService, list_id: int) -> None:
    begin = local_time(timedelta(days=1))
    immediate = batch(outboxed, "admin", list_id, 1, Template=request(models.Template, TemplateID=1, TemplateData="{}"))
    timed = batch(outboxed, "admin", list_id, 2, TimedParam=request(models.TimedEmailParam, BeginTime=begin))
    cycle = request(models.CycleEmailParam, BeginTime=begin, IntervalTime=24)
    recurring = batch(outboxed, "admin", list_id, 3, CycleParam=cycle, Subject="Weekly news", Unsubscribe="2")

    done = wait_until_done(outboxed, immediate)
    assert (done.TaskType, done.RequestCount, done.SendCount) == (1, 2, 2)
    assert done.RequestCount == ledger_total(outboxed, immediate)
    assert (done.CycleParam, done.TimedParam, done.ErrMsg, done.ReceiversName) == (None, None, "", "friends")
    assert (done.Template.TemplateID, json.loads(done.Template.TemplateData)) == (1, {})
    created = datetime.strptime(done.CreateTime, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    assert abs((created - datetime.now(SHANGHAI)).total_seconds()) < 600

    listed = tasks_by_id(outboxed, method="GET")
    assert (listed[timed].TaskStatus, listed[timed].TaskType, listed[timed].TimedParam.BeginTime) == (1, 2, begin)
    assert listed[timed].CycleParam is None and listed[timed].Subject == "Hello {{name}}"
    assert json.loads(listed[timed].Template.TemplateData) == {"team": "Mailyard"}
    weekly = listed[recurring]
    assert (weekly.TaskStatus, weekly.TaskType, weekly.TimedParam) == (1, 3, None)
    assert (weekly.CycleParam.BeginTime, weekly.CycleParam.IntervalTime, weekly.CycleParam.TermCycle) == (begin, 24, 0)

    mine = {immediate, timed, recurring}
    assert set(tasks_by_id(outboxed, Status=1)) & mine == {timed, recurring}
    assert set(tasks_by_id(outboxed, Status=DONE)) & mine == {immediate}
    assert set(tasks_by_id(outboxed, TaskType=3)) & mine == {recurring}
    assert set(tasks_by_id(outboxed, ReceiverId=list_id)) >= mine
    assert tasks_by_id(outboxed, ReceiverId=list_id + 100) == {}
    everything = tasks_by_id(outboxed)
    page = ses(outboxed, "admin").ListSendTasks(request(models.ListSendTasksRequest, Offset=1, Limit=1))
    assert (page.TotalCount, [item.TaskId for item in page.Data]) == (len(everything), [sorted(everything)[-2]])

    outbox = outboxed.call("admin", "GET", f"/outbox?task_id={immediate}")
    assert {item["recipient"] for item in outbox["items"]} == {"ada@example.org", "alan@example.org"}
    with outboxed.native("admin") as native:
        raw = {item["recipient"]: native.get(f"/outbox/{item['id']}").content for item in outbox["items"]}
    assert "Hi Alan from " in text_of(raw["alan@example.org"])
    assert email.message_from_bytes(raw["alan@example.org"])["Subject"] == "Hello Alan"


def test_terminated_cycle_runs_once_then_is_done(outboxed: LiveService, list_id: int) -> None:
    """TermCycle 1 on creation: the cycle is not repeated; the one run happens and the task shows 10."""
    cycle = request(models.CycleEmailParam, BeginTime=local_time(timedelta(0)), IntervalTime=1, TermCycle=1)
    task_id = batch(outboxed, "admin", list_id, 3, CycleParam=cycle, Subject="Last issue")
    done = wait_until_done(outboxed, task_id)
    assert (done.TaskType, done.CycleParam.TermCycle, done.RequestCount, done.SendCount) == (3, 1, 2, 2)
    assert set(tasks_by_id(outboxed, Status=DONE, TaskType=3)) >= {task_id}
    assert outboxed.call("admin", "GET", f"/tasks/{task_id}/runs")["total"] == 1


def quick_bi(service: LiveService, user: str) -> QuickBiClient:
    secret_id, secret_key = service.keys[user]
    config = open_api_models.Config(
        access_key_id=secret_id, access_key_secret=secret_key, endpoint=service.endpoint, protocol="http"
    )
    return QuickBiClient(config)


def test_tasks_cross_doors_and_respect_visibility(outboxed: LiveService, list_id: int) -> None:
    timed = request(models.TimedEmailParam, BeginTime=local_time(timedelta(days=2)))
    task_id = batch(outboxed, "alice", list_id, 2, TimedParam=timed, Subject="Alice's digest")
    assert task_id in tasks_by_id(outboxed, "alice") and task_id in tasks_by_id(outboxed, "admin")
    assert task_id not in tasks_by_id(outboxed, "bob")

    body = quick_bi(outboxed, "admin").get_mail_task_list(quickbi.GetMailTaskListRequest(page_size=100)).body
    item = {entry.mail_id: entry for entry in body.result.data}[str(task_id)]
    assert (item.subscribe_name, item.biz_owner_name, item.paused) == ("Alice's digest", "alice", False)
    outboxed.call("alice", "POST", f"/tasks/{task_id}/pause")
    paused = quick_bi(outboxed, "alice").get_mail_task_list(quickbi.GetMailTaskListRequest(paused=True)).body
    assert str(task_id) in {entry.mail_id for entry in paused.result.data}


def test_errors_change_nothing(outboxed: LiveService, list_id: int) -> None:
    client = ses(outboxed, "admin")
    empty_list = int(client.CreateReceiver(request(models.CreateReceiverRequest, ReceiversName="empty")).ReceiverId)
    total = len(tasks_by_id(outboxed))
    past = request(models.TimedEmailParam, BeginTime=local_time(-timedelta(hours=2)))
    cases: list[tuple[str, int, dict[str, Any]]] = [
        ("MissingParameter.TimedParamNecessary", 2, {}),
        ("MissingParameter.TimedParamNecessary", 2, {"TimedParam": models.TimedEmailParam()}),
        (
            "MissingParameter.CycleParamNecessary",
            3,
            {"CycleParam": request(models.CycleEmailParam, BeginTime=local_time(timedelta(days=1)))},
        ),
        ("InvalidParameterValue.BeginTimeBeforeNow", 2, {"TimedParam": past}),
        (
            "InvalidParameter.InvalidStartTimeFormat",
            2,
            {"TimedParam": request(models.TimedEmailParam, BeginTime="tomorrow")},
        ),
        (
            "InvalidParameterValue",
            3,
            {"CycleParam": request(models.CycleEmailParam, BeginTime=local_time(timedelta(days=1)), IntervalTime=0)},
        ),
        ("InvalidParameterValue", 4, {}),
        ("InvalidParameterValue.SubjectLengthError", 1, {"Subject": "s" * 101}),
        (
            "InvalidParameterValue.TemplateNotExist",
            1,
            {"Template": request(models.Template, TemplateID=99, TemplateData="{}")},
        ),
        (
            "FailedOperation.WrongContentJson",
            1,
            {"Template": request(models.Template, TemplateID=1, TemplateData="{nope")},
        ),
        ("MissingParameter.SendParamNecessary", 1, {"Template": None}),
        ("InvalidParameterValue", 1, {"Unsubscribe": "13"}),
    ]
    for code, task_type, fields in cases:
        expect_code(code, lambda t=task_type, f=fields: batch(outboxed, "admin", list_id, t, **f))
    expect_code("OperationDenied.ReceiverNotExist", lambda: batch(outboxed, "admin", 999, 1))
    expect_code("OperationDenied.ReceiverStatusError", lambda: batch(outboxed, "admin", empty_list, 1))
    unknown_sender = request(
        models.BatchSendEmailRequest,
        FromEmailAddress="ghost@mail.example.com",
        ReceiverId=list_id,
        Subject="s",
        TaskType=1,
        Template=request(models.Template, TemplateID=1, TemplateData="{}"),
    )
    expect_code("InvalidParameterValue.NoSuchSender", lambda: client.BatchSendEmail(unknown_sender))
    assert len(tasks_by_id(outboxed)) == total

    expect_code(
        "FailedOperation.InvalidLimit",
        lambda: client.ListSendTasks(request(models.ListSendTasksRequest, Offset=0, Limit=101)),
    )
    expect_code("MissingParameter", lambda: client.ListSendTasks(request(models.ListSendTasksRequest, Limit=10)))
    expect_code(
        "InvalidParameterValue",
        lambda: client.ListSendTasks(request(models.ListSendTasksRequest, Offset=0, Limit=10, Status=3)),
    )
    get_client = ses(outboxed, "admin", "GET")
    expect_code(
        "InvalidParameter", lambda: get_client.ListSendTasks(request(models.ListSendTasksRequest, Offset="x", Limit=10))
    )
