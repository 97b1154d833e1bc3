"""Single sends (SendEmail): stored as a hidden task of kind single, sent by the engine, status by MessageId."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from mailyard import bootstrap
from mailyard.domain import messages, paging, runs, suppressions, tasks
from mailyard.errors import InvalidInput, LimitExceeded
from mailyard.mail.composer import MimeComposer
from mailyard.mail.relay_mailer import RelayMailer
from mailyard.mail.relay_pool import RelayPool
from mailyard.mail.relays import RelayConfig
from mailyard.services.sending import SendingService
from mailyard.services.single_sends import AttachmentUpload, SendRequest
from mailyard.worker.runner import Worker, WorkerOptions

pytestmark = pytest.mark.timeout(60)
ALL = paging.Window(offset=0, limit=100)


def send_request(content: Any, **changes: Any) -> SendRequest:
    values: dict[str, Any] = {
        "from_address": f"News <{content.sender}>",
        "subject": "Code for {{name}}",
        "template_id": content.template_id,
        "variables": {"name": "Ann"},
        "destination": ["ann@example.org", "ben@example.org"],
        "cc": ["cy@example.org"],
        "bcc": ["dee@example.org"],
    }
    values.update(changes)
    return SendRequest(**values)


def local_day(runtime: bootstrap.Runtime, principal: Any) -> Any:
    from zoneinfo import ZoneInfo

    return runtime.services.clock.now().astimezone(ZoneInfo(principal.time_zone)).date()


class Catcher:
    """An aiosmtpd handler keeping (recipients, content) of every message."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 OK"


@pytest.fixture
def smtp_relay() -> Iterator[tuple[Catcher, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    catcher = Catcher()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    yield catcher, port
    controller.stop()


async def test_single_send_is_sent_through_a_relay_with_headers_and_attachment(
    runtime: bootstrap.Runtime, team: Any, make_content: Any, smtp_relay: tuple[Catcher, int]
) -> None:
    principal = team.admin.principal
    content = await make_content(principal)
    upload = AttachmentUpload(filename="报告 2026.txt", content=b"line one\n.line two\n" * 50)
    sent = await runtime.services.single_sends.send(principal, send_request(content, attachments=[upload]))
    assert messages.task_id_of(sent.message_id) == sent.task_id

    catcher, port = smtp_relay
    config = RelayConfig(host="127.0.0.1", port=port, name="test", timeout=5.0, connections=2)
    sending = SendingService(runtime.store, runtime.services.clock, RelayMailer(RelayPool([config])), MimeComposer())
    try:
        worker = Worker(sending, runtime.services.scheduling, WorkerOptions(batch_size=10), name="relay")
        assert await worker.drain() == 4
    finally:
        await sending.close()

    by_recipient = {rcpts[0]: data for rcpts, data in catcher.received}
    assert sorted(by_recipient) == ["ann@example.org", "ben@example.org", "cy@example.org", "dee@example.org"]
    for data in by_recipient.values():
        message = email.message_from_bytes(data, policy=email.policy.default)
        assert message["To"] == "ann@example.org, ben@example.org"
        assert message["Cc"] == "cy@example.org"
        assert message["Bcc"] is None and b"dee@example.org" not in data
        assert message["Subject"] == "Code for Ann"
        assert message.get_content_type() == "multipart/mixed"
        body = message.get_body(("plain",))
        assert body is not None and body.get_content().strip() == "Hello Ann"
        [attachment] = list(message.iter_attachments())
        assert attachment.get_filename() == "报告 2026.txt"
        assert attachment.get_payload(decode=True) == upload.content

    task = await runtime.services.tasks.get(principal, sent.task_id)
    assert (task.kind, task.state, task.counters.sent, task.counters.cached) == (
        tasks.TaskKind.SINGLE,
        tasks.TaskState.DONE,
        4,
        0,
    )


async def test_single_sends_are_hidden_from_task_listings(
    runtime: bootstrap.Runtime, team: Any, make_content: Any, api: Any
) -> None:
    principal = team.admin.principal
    content = await make_content(principal)
    batch = await runtime.services.tasks.create(principal, content.task_request())
    await runtime.services.single_sends.send(principal, send_request(content))
    listed = await runtime.services.tasks.list(principal, tasks.TaskFilter(), ALL)
    assert [task.id for task in listed.items] == [batch.id] and listed.total == 1
    response = await api.get("/v1/tasks", auth=team.admin.auth)
    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()["items"]] == [batch.id]


@pytest.mark.parametrize(
    ("changes", "error", "code"),
    [
        ({"destination": [f"r{index}@example.org" for index in range(51)]}, LimitExceeded, "too_many_recipients"),
        ({"cc": [f"c{index}@example.org" for index in range(21)]}, LimitExceeded, "too_many_cc"),
        ({"bcc": ["ann@example.org"]}, InvalidInput, "bcc_overlaps"),
        ({"destination": [], "cc": [], "bcc": []}, InvalidInput, "no_recipient"),
        ({"destination": ["not an address"]}, InvalidInput, "address_invalid"),
        ({"subject": ""}, InvalidInput, "subject_length"),
        ({"subject": "x" * 101}, InvalidInput, "subject_length"),
        (
            {"attachments": [AttachmentUpload(filename="a.txt", content=b"x")] * 11},
            LimitExceeded,
            "too_many_attachments",
        ),
        (
            {"attachments": [AttachmentUpload(filename="big.bin", content=b"x" * (4 * 1024 * 1024 + 1))]},
            LimitExceeded,
            "attachments_too_large",
        ),
        ({"attachments": [AttachmentUpload(filename="../etc/passwd", content=b"x")]}, InvalidInput, "attachment_name"),
        ({"attachments": [AttachmentUpload(filename="run.exe", content=b"x")]}, InvalidInput, "attachment_name"),
        ({"unsubscribe": "13"}, InvalidInput, "unsubscribe_option_invalid"),
    ],
)
async def test_limits_of_a_single_send(
    runtime: bootstrap.Runtime, team: Any, make_content: Any, changes: dict[str, Any], error: type, code: str
) -> None:
    content = await make_content(team.admin.principal, addresses=())
    with pytest.raises(error) as caught:
        await runtime.services.single_sends.send(team.admin.principal, send_request(content, **changes))
    assert caught.value.code == code


async def test_status_by_message_id_and_recipient(
    runtime: bootstrap.Runtime, clock: Any, team: Any, rival: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    content = await make_content(principal)
    async with runtime.store.transaction() as repositories:
        await repositories.suppressions.add(
            account_id=principal.account_id,
            address="dee@example.org",
            reason=suppressions.SuppressionReason.UNSUBSCRIBE,
            expires_at=None,
        )
    sent = await runtime.services.single_sends.send(principal, send_request(content))
    other = await runtime.services.single_sends.send(principal, send_request(content, cc=[], bcc=[]))
    service = runtime.services.single_sends
    today = local_day(runtime, principal)

    queued = await service.statuses(principal, today, ALL, message_id=sent.message_id)
    assert [(status.to_address, status.state) for status in queued] == [
        ("ann@example.org", runs.DeliveryState.QUEUED),
        ("ben@example.org", runs.DeliveryState.QUEUED),
        ("cy@example.org", runs.DeliveryState.QUEUED),
        ("dee@example.org", runs.DeliveryState.SKIPPED),
    ]
    assert {status.message_id for status in queued} == {sent.message_id}
    assert queued[3].reason == "suppressed: unsubscribe"

    worker = Worker(runtime.services.sending, runtime.services.scheduling, WorkerOptions(batch_size=10), name="t")
    clock.advance(seconds=5)
    assert await worker.drain() == 5
    ann = await service.statuses(principal, today, ALL, to_address="ANN@example.org")
    assert [(status.message_id, status.state) for status in ann] == [
        (sent.message_id, runs.DeliveryState.SENT),
        (other.message_id, runs.DeliveryState.SENT),
    ]
    assert ann[0].updated_at - ann[0].requested_at == timedelta(seconds=5)
    assert await service.statuses(principal, today, paging.Window(offset=1, limit=1), to_address="ann@example.org")
    assert await service.statuses(principal, today, ALL, message_id="mailyard-999-20260101000000") == []
    assert await service.statuses(principal, today, ALL, message_id="something-else") == []
    assert await service.statuses(rival.admin.principal, today, ALL, message_id=sent.message_id) == []
    assert await service.statuses(team.members[0].principal, today, ALL, message_id=sent.message_id) == []
    assert await service.statuses(principal, today - timedelta(days=1), ALL, message_id=sent.message_id) == []

    for wrong in (today - timedelta(days=31), today + timedelta(days=1)):
        with pytest.raises(InvalidInput) as caught:
            await service.statuses(principal, wrong, ALL)
        assert caught.value.code == "date_not_supported"


async def test_a_single_send_is_written_like_a_batch_task(
    runtime: bootstrap.Runtime, team: Any, make_content: Any
) -> None:
    """One write path: the same variables text as a batch task's, and a run with its Message-ID key."""
    principal = team.admin.principal
    content = await make_content(principal)
    variables = {"name": "Zoë", "count": 2}
    sent = await runtime.services.single_sends.send(principal, send_request(content, variables=variables))
    batch = await runtime.services.tasks.create(principal, content.task_request(variables=variables))
    async with runtime.engine.connect() as connection:
        stored = dict(
            (
                await connection.execute(
                    text("SELECT id, variables FROM tasks WHERE id IN (:single, :batch)"),
                    {
                        "single": sent.task_id,
                        "batch": batch.id,
                    },
                )
            ).all()
        )
        keys = (
            (
                await connection.execute(
                    text("SELECT message_key FROM runs WHERE task_id = :task"), {"task": sent.task_id}
                )
            )
            .scalars()
            .all()
        )
    assert stored[sent.task_id] == stored[batch.id] == '{"name":"Zoë","count":2}'
    assert len(keys) == 1 and keys[0]
