"""International recipients through a real relay: IDN domains go out as A-labels; a UTF-8 local part goes out
with SMTPUTF8 when the relay offers it, and fails for that copy alone when it does not."""

from __future__ import annotations

from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.domain import paging, runs, tasks

pytestmark = pytest.mark.timeout(60)
ALL = paging.Window(offset=0, limit=100)
INTERNATIONAL = ("yu@例え.jp", "a@example.xn--p1ai", "用户@example.com")


async def send_to_international(
    runtime: bootstrap.Runtime, team: Any, make_content: Any, relay_config: Any, make_worker: Any
) -> tuple[tasks.Task, dict[str, runs.Delivery]]:
    principal = team.admin.principal
    content = await make_content(principal, addresses=(*INTERNATIONAL, "ann@example.org"))
    target = await runtime.services.recipients.get_list(principal, content.list_id)
    assert (target.total_count, target.valid_count) == (4, 4)
    task = await runtime.services.tasks.create(principal, content.task_request())
    await make_worker(relay_config).drain()
    task = await runtime.services.tasks.get(principal, task.id)
    page = await runtime.services.tasks.deliveries(principal, task.id, ALL)
    return task, {delivery.address: delivery for delivery in page.items}


async def test_with_smtputf8_every_copy_is_sent(
    runtime: bootstrap.Runtime, utf8_relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    task, by_address = await send_to_international(runtime, team, make_content, utf8_relay.config(), make_worker)
    assert (task.state, task.counters.sent, task.counters.failed) == (tasks.TaskState.DONE, 4, 0)
    assert set(by_address) == {"yu@例え.jp", "a@example.рф", "用户@example.com", "ann@example.org"}
    assert sorted(utf8_relay.handler.recipients) == sorted(
        ["yu@xn--r8jz45g.jp", "a@example.xn--p1ai", "用户@example.com", "ann@example.org"]
    )
    received = dict(utf8_relay.handler.received)
    assert "To: 用户@example.com\r\n".encode() in received["用户@example.com"]
    assert b"To: yu@xn--r8jz45g.jp\r\n" in received["yu@xn--r8jz45g.jp"]


async def test_without_smtputf8_only_the_utf8_local_part_fails(
    runtime: bootstrap.Runtime, ascii_relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    task, by_address = await send_to_international(runtime, team, make_content, ascii_relay.config(), make_worker)
    assert (task.state, task.counters.sent, task.counters.failed) == (tasks.TaskState.DONE, 3, 1)
    failed = by_address["用户@example.com"]
    assert failed.state is runs.DeliveryState.FAILED
    assert failed.reason is not None and "SMTPUTF8" in failed.reason
    assert sorted(ascii_relay.handler.recipients) == sorted(
        ["yu@xn--r8jz45g.jp", "a@example.xn--p1ai", "ann@example.org"]
    )
