"""Bounces and complaints end to end: a task sent into a real relay (aiosmtpd), then DSNs shaped like
Postfix's, Exim's and Microsoft's, an RFC 5965 complaint and an out-of-office reply delivered over SMTP to the
copies' return paths through the inbound listener; forged tokens, garbage, oversized mail and strangers'
addresses refused or kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiosmtplib
import pytest
from tests.worker import returned_mail

from mailyard import bootstrap
from mailyard.domain import events, paging, runs, suppressions
from mailyard.smtpd.listener import ListenerAddress, bound_port

pytestmark = pytest.mark.timeout(90)
ALL = paging.Window(offset=0, limit=500)
ADDRESSES = ("ann@example.org", "ben@example.org", "cy@example.org", "dee@example.org", "eve@example.org")


@dataclass(frozen=True)
class Listener:
    port: int


@pytest.fixture
async def listener(runtime: bootstrap.Runtime) -> AsyncIterator[Listener]:
    address = ListenerAddress(host="127.0.0.1", port=0, explicit=True)
    started = await bootstrap.start_inbound(runtime, address)
    yield Listener(port=bound_port(started.servers[0]))
    await started.close()


async def converse(port: int, recipient: str, content: bytes | None = None) -> tuple[int, int | None]:
    """(RCPT reply code, DATA reply code or None) of one message from the null sender."""
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10)
    await smtp.connect()
    try:
        await smtp.ehlo()
        await smtp.mail("")
        rcpt = await smtp.execute_command(b"RCPT", f"TO:<{recipient}>".encode())
        if rcpt.code != 250 or content is None:
            return rcpt.code, None
        try:
            return rcpt.code, (await smtp.data(content)).code
        except aiosmtplib.SMTPResponseException as error:
            return rcpt.code, error.code
    finally:
        smtp.close()


async def sent_task(runtime: bootstrap.Runtime, relay: Any, make_worker: Any, principal: Any, content: Any) -> int:
    task = await runtime.services.tasks.create(principal, content.task_request())
    await make_worker(relay.config()).drain()
    return task.id


async def blacklist(runtime: bootstrap.Runtime, account_id: int) -> dict[str, tuple[str, str | None]]:
    async with runtime.store.transaction() as repositories:
        page = await repositories.suppressions.list(
            account_id,
            ALL,
            reason=(suppressions.SuppressionReason.HARD_BOUNCE, suppressions.SuppressionReason.COMPLAINT),
        )
    return {entry.address: (entry.reason.value, entry.description) for entry in page.items}


async def test_bounces_and_complaints_through_the_listener(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, listener: Listener, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    content = await make_content(principal, addresses=ADDRESSES)
    task_id = await sent_task(runtime, relay, make_worker, principal, content)
    verp = relay.handler.envelope_senders
    port = listener.port

    assert await converse(
        port, verp["ann@example.org"], returned_mail.postfix_dsn(verp["ann@example.org"], "ann@example.org")
    ) == (250, 250)
    assert await converse(
        port, verp["ben@example.org"], returned_mail.exim_bounce(verp["ben@example.org"], "ben@example.org")
    ) == (250, 250)
    assert await converse(
        port, verp["cy@example.org"], returned_mail.microsoft_ndr(verp["cy@example.org"], "cy@example.org")
    ) == (250, 250)
    complaint = returned_mail.complaint(
        "complaints@bounce.news.example.com", "dee@example.org", return_path=verp["dee@example.org"]
    )
    assert await converse(port, "complaints@bounce.news.example.com", complaint) == (250, 250)
    assert await converse(
        port, verp["eve@example.org"], returned_mail.out_of_office(verp["eve@example.org"], "eve@example.org")
    ) == (250, 250)
    # The same bounce again changes nothing.
    assert await converse(
        port, verp["ann@example.org"], returned_mail.postfix_dsn(verp["ann@example.org"], "ann@example.org")
    ) == (250, 250)

    listed = await blacklist(runtime, principal.account_id)
    assert set(listed) == {"ann@example.org", "ben@example.org", "cy@example.org", "dee@example.org"}
    assert listed["ann@example.org"][0] == "hard_bounce" and "5.1.1" in (listed["ann@example.org"][1] or "")
    assert "User unknown" in (listed["ann@example.org"][1] or "")
    assert "5.1.1" in (listed["ben@example.org"][1] or "")
    assert "RESOLVER.ADR.RecipientNotFound" in (listed["cy@example.org"][1] or "")
    assert listed["dee@example.org"] == ("complaint", "complaint (abuse report)")

    page = await runtime.services.engagement.list_events(principal, task_id, ALL)
    returned = [
        (event.delivery.address, event.type, event.bounce_type)
        for event in page.items
        if event.type is not events.EventType.DELIVERED
    ]
    assert returned == [
        ("ann@example.org", events.EventType.BOUNCE, events.BounceType.HARD),
        ("ben@example.org", events.EventType.BOUNCE, events.BounceType.HARD),
        ("cy@example.org", events.EventType.BOUNCE, events.BounceType.HARD),
        ("dee@example.org", events.EventType.SPAMREPORT, None),
    ]
    task = await runtime.services.tasks.get(principal, task_id)
    assert (task.counters.sent, task.counters.failed) == (2, 3)
    states = {
        item.address: item.state for item in (await runtime.services.tasks.deliveries(principal, task_id, ALL)).items
    }
    assert (
        states["ann@example.org"] is runs.DeliveryState.FAILED and states["eve@example.org"] is runs.DeliveryState.SENT
    )
    totals = await runtime.services.engagement.totals(principal, task_id)
    assert (totals.hard_bounces, totals.complaints, totals.delivered) == (3, 1, 5)
    assert (await runtime.services.bounces.kept(ALL)).total == 0  # type: ignore[union-attr]


async def test_refused_recipients_garbage_and_oversized_mail(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, listener: Listener, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    content = await make_content(principal, addresses=("ann@example.org",))
    await sent_task(runtime, relay, make_worker, principal, content)
    good = relay.handler.envelope_senders["ann@example.org"]
    local, _, domain = good.partition("@")
    number, _, mac = local.partition("+")[2].partition(".")
    port = listener.port

    for stranger in (
        "postmaster@example.com",  # not ours at all: never an open relay
        f"hello+{int(number) + 1}.{mac}@{domain}",  # forged: another delivery under the same MAC
        f"hello+{number}.{mac[:-2]}@{domain}",  # truncated
        f"hello@{domain}",
        "complaints@bounce.unknown.example",  # no account sends from unknown.example
        f"hello+{number}.{mac}@bounce.other.example",  # a real token on another domain than its copy's
    ):
        code, _ = await converse(port, stranger)
        assert code == 550, stranger
    # Garbage is kept for inspection, never fatal; the listener keeps serving.
    assert await converse(port, good, b"\x00\xff garbage \r\n\xfe\r\n") == (250, 250)
    oversized = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * (
        runtime.settings.inbound_max_message_bytes // 1000 + 10
    )
    assert (await converse(port, good, oversized))[1] == 552
    kept = await runtime.services.bounces.kept(ALL)  # type: ignore[union-attr]
    assert kept.total == 1 and kept.items[0].recipient == good and kept.items[0].kind.value == "unknown"
    assert await blacklist(runtime, principal.account_id) == {}


async def test_soft_bounces_suppress_only_after_a_run(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, listener: Listener, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    for attempt in range(3):
        content = await make_content(principal, addresses=("full@example.org",), list_name=f"list-{attempt}")
        await sent_task(runtime, relay, make_worker, principal, content)
        verp = relay.handler.envelope_senders["full@example.org"]
        dsn = returned_mail.postfix_dsn(verp, "full@example.org", status="4.2.2", action="delayed")
        assert await converse(listener.port, verp, dsn) == (250, 250)
        assert await converse(listener.port, verp, dsn) == (250, 250)  # twice: still one soft bounce
        listed = await blacklist(runtime, principal.account_id)
        assert ("full@example.org" in listed) is (attempt == 2), attempt
    assert "3 soft bounces in a row" in (listed["full@example.org"][1] or "")


async def test_a_hard_bounce_or_a_complaint_stops_the_retries_of_another_copy(
    runtime: bootstrap.Runtime,
    clock: Any,
    relay: Any,
    make_worker: Any,
    listener: Listener,
    team: Any,
    make_content: Any,
) -> None:
    principal = team.admin.principal
    content = await make_content(principal, addresses=("ann@example.org", "ben@example.org", "cy@example.org"))
    await sent_task(runtime, relay, make_worker, principal, content)
    verp = dict(relay.handler.envelope_senders)
    # A second task to the same people: the relay defers Ann's and Ben's copies, which wait for their retry.
    for address in ("ann@example.org", "ben@example.org"):
        relay.handler.rcpt_replies[address] = ["451 4.3.0 try again later"]
    second = await sent_task(runtime, relay, make_worker, principal, content)
    deferred = await runtime.services.tasks.deliveries(principal, second, ALL, state=runs.DeliveryState.QUEUED)
    assert sorted(item.address for item in deferred.items) == ["ann@example.org", "ben@example.org"]

    # Meanwhile Ann's first copy hard-bounces and Ben complains about his.
    dsn = returned_mail.postfix_dsn(verp["ann@example.org"], "ann@example.org")
    assert await converse(listener.port, verp["ann@example.org"], dsn) == (250, 250)
    complaint = returned_mail.complaint(
        "complaints@bounce.news.example.com", "ben@example.org", return_path=verp["ben@example.org"]
    )
    assert await converse(listener.port, "complaints@bounce.news.example.com", complaint) == (250, 250)

    # The retries come due and the relay would take them now: neither goes out.
    relay.handler.rcpt_replies.clear()
    received = len(relay.handler.received)
    clock.advance(hours=1)
    await make_worker(relay.config()).drain()
    assert len(relay.handler.received) == received
    ledger = await runtime.services.tasks.deliveries(principal, second, ALL)
    assert {item.address: (item.state, item.reason) for item in ledger.items} == {
        "ann@example.org": (runs.DeliveryState.SKIPPED, "suppressed: hard_bounce"),
        "ben@example.org": (runs.DeliveryState.SKIPPED, "suppressed: complaint"),
        "cy@example.org": (runs.DeliveryState.SENT, None),
    }
    task = await runtime.services.tasks.get(principal, second)
    assert (task.counters.requested, task.counters.sent, task.counters.skipped, task.counters.cached) == (1, 1, 2, 0)
    assert task.state.value == "done"
    page = await runtime.services.engagement.list_events(principal, second, ALL)
    assert [
        (event.delivery.address, event.type.value, event.reason)
        for event in page.items
        if event.type.value in ("dropped",)
    ] == [
        ("ann@example.org", "dropped", "suppressed: hard_bounce"),
        ("ben@example.org", "dropped", "suppressed: complaint"),
    ]
