"""RelayPool and rate limits against real aiosmtpd servers: outcomes, connection reuse, spreading, limits."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from mailyard.domain.outcomes import DeliveryOutcome, OutcomeKind
from mailyard.mail.rate_limits import LocalRateLimiter, TokenBucket
from mailyard.mail.relay_pool import RelayPool
from mailyard.mail.relays import parse_relay
from mailyard.mail.smtp_client import to_smtp_data

# Fixtures from conftest.py: start_server(**options) -> server with .handler and .relay(**changes),
# tls, credentials, closed_port.
StartServer = Any

DATA = to_smtp_data(b"Subject: hi\r\n\r\nhello\r\n.signature")


async def deliver_one(start_server: StartServer, recipient: str = "r@example.org", **options: Any) -> Any:
    relay_options = {k: options.pop(k) for k in ("username", "password") if k in options}
    server = start_server(**options)
    async with RelayPool([server.relay(**relay_options)]) as pool:
        return await pool.deliver("s@example.com", recipient, DATA)


async def test_sent(start_server: StartServer) -> None:
    server = start_server()
    async with RelayPool([server.relay()]) as pool:
        outcome = await pool.deliver("s@example.com", "r@example.org", DATA)
    assert outcome == DeliveryOutcome(OutcomeKind.SENT, 250, "OK")
    assert server.handler.messages[0].content == b"Subject: hi\r\n\r\nhello\r\n.signature\r\n"


@pytest.mark.parametrize(
    ("options", "kind", "code", "hard_bounce"),
    [
        ({"rcpt_replies": {"r@example.org": "550 5.1.1 no such user"}}, OutcomeKind.FAILED, 550, True),
        ({"rcpt_replies": {"r@example.org": "550 5.7.1 policy"}}, OutcomeKind.FAILED, 550, False),
        ({"rcpt_replies": {"r@example.org": "451 4.3.0 try later"}}, OutcomeKind.RETRY, 451, False),
        ({"rcpt_replies": {"r@example.org": "421 4.7.0 closing"}}, OutcomeKind.RETRY, 421, False),
        ({"mail_reply": "553 5.7.1 sender rejected"}, OutcomeKind.TASK_ERROR, 553, False),
        ({"data_reply": "554 5.7.1 content rejected"}, OutcomeKind.TASK_ERROR, 554, False),
        ({"data_reply": "552 5.2.2 mailbox full"}, OutcomeKind.FAILED, 552, False),
        ({"data_reply": "452 4.2.2 over quota"}, OutcomeKind.RETRY, 452, False),
        ({"greeting": "421 4.3.2 busy"}, OutcomeKind.RETRY, 421, False),
        ({"drop_on_data": True}, OutcomeKind.RETRY, 0, False),
        ({"pipelining": False, "mail_reply": "530 5.7.0 auth first"}, OutcomeKind.TASK_ERROR, 530, False),
    ],
    ids=lambda value: str(value) if not isinstance(value, dict) else ",".join(value),
)
async def test_outcomes(
    start_server: StartServer, options: dict[str, Any], kind: OutcomeKind, code: int, hard_bounce: bool
) -> None:
    outcome = await deliver_one(start_server, **options)
    assert (outcome.kind, outcome.code, outcome.hard_bounce) == (kind, code, hard_bounce)


async def test_auth_failure_is_a_task_error(start_server: StartServer, credentials: Any) -> None:
    outcome = await deliver_one(
        start_server,
        authenticator=credentials.authenticate,
        auth_require_tls=False,
        username=credentials.user,
        password="not-it",
    )
    assert (outcome.kind, outcome.code) == (OutcomeKind.TASK_ERROR, 535)
    assert "not-it" not in outcome.reply_text
    good = await deliver_one(
        start_server,
        authenticator=credentials.authenticate,
        auth_require_tls=False,
        username=credentials.user,
        password=credentials.password,
    )
    assert good.kind is OutcomeKind.SENT


async def test_refused_connection_is_retry(start_server: StartServer, closed_port: int) -> None:
    async with RelayPool([start_server().relay(port=closed_port)]) as pool:
        outcome = await pool.deliver("s@example.com", "r@example.org", DATA)
    assert (outcome.kind, outcome.code) == (OutcomeKind.RETRY, 0)
    assert outcome.reply_text.startswith("connect: ")


async def test_starttls_relay_from_a_url(start_server: StartServer, tls: Any) -> None:
    server = start_server(tls_context=tls.server, require_starttls=True)
    relay = parse_relay(f"smtp://127.0.0.1:{server.port}?starttls=1&verify=0&timeout=5")
    async with RelayPool([relay]) as pool:
        assert (await pool.deliver("s@example.com", "r@example.org", DATA)).kind is OutcomeKind.SENT


async def test_connections_are_reused_and_bounded(start_server: StartServer) -> None:
    server = start_server()
    async with RelayPool([server.relay(connections=3)]) as pool:
        for number in range(5):
            assert (await pool.deliver("s@example.com", f"a{number}@example.org", DATA)).kind is OutcomeKind.SENT
        assert server.handler.connections == 1
        outcomes = await asyncio.gather(*(pool.deliver("s@example.com", f"b{n}@example.org", DATA) for n in range(30)))
    assert {outcome.kind for outcome in outcomes} == {OutcomeKind.SENT}
    assert 1 <= server.handler.connections <= 3
    assert len(server.handler.messages) == 35


async def test_a_connection_answering_421_is_replaced(start_server: StartServer) -> None:
    server = start_server(rcpt_replies={"r@example.org": "421 4.7.0 closing"})
    async with RelayPool([server.relay()]) as pool:
        assert (await pool.deliver("s@example.com", "r@example.org", DATA)).code == 421
        server.handler.rcpt_replies.clear()
        assert (await pool.deliver("s@example.com", "r@example.org", DATA)).kind is OutcomeKind.SENT
    assert server.handler.connections == 2


async def test_a_failed_connection_is_replaced(start_server: StartServer) -> None:
    server = start_server(drop_on_data=True)
    async with RelayPool([server.relay()]) as pool:
        assert (await pool.deliver("s@example.com", "r@example.org", DATA)).kind is OutcomeKind.RETRY
        server.handler.drop_on_data = False
        assert (await pool.deliver("s@example.com", "r@example.org", DATA)).kind is OutcomeKind.SENT
    assert server.handler.connections == 2


async def test_a_connection_closed_by_the_server_is_replaced_transparently(start_server: StartServer) -> None:
    server = start_server(hang_up_after_message=True)
    async with RelayPool([server.relay()]) as pool:
        for _ in range(3):
            assert (await pool.deliver("s@example.com", "r@example.org", DATA)).kind is OutcomeKind.SENT
    assert server.handler.connections == 3 and len(server.handler.messages) == 3


async def test_idle_connections_are_closed(start_server: StartServer) -> None:
    server = start_server()
    pool = RelayPool([server.relay(idle_timeout=0.05)])
    assert (await pool.deliver("s@example.com", "r@example.org", DATA)).kind is OutcomeKind.SENT
    await server.handler.until(lambda: server.handler.quits == 1)
    assert (await pool.deliver("s@example.com", "r@example.org", DATA)).kind is OutcomeKind.SENT
    assert server.handler.connections == 2
    await pool.close()


async def test_close_quits_and_refuses_new_deliveries(start_server: StartServer) -> None:
    server = start_server()
    pool = RelayPool([server.relay()])
    await pool.deliver("s@example.com", "r@example.org", DATA)
    await pool.close()
    await server.handler.until(lambda: server.handler.quits == 1)
    with pytest.raises(RuntimeError):
        await pool.deliver("s@example.com", "r@example.org", DATA)


async def test_load_is_spread_over_relays(start_server: StartServer) -> None:
    first, second = start_server(), start_server()
    relays = [first.relay(name="first"), second.relay(name="second")]
    async with RelayPool(relays) as pool:
        for number in range(10):
            await pool.deliver("s@example.com", f"r{number}@example.org", DATA)
        await asyncio.gather(*(pool.deliver("s@example.com", "x@example.org", DATA) for _ in range(20)))
    assert len(first.handler.messages) + len(second.handler.messages) == 30
    assert min(len(first.handler.messages), len(second.handler.messages)) >= 10


async def test_a_failing_relay_is_avoided(start_server: StartServer, closed_port: int) -> None:
    good = start_server()
    relays = [good.relay(name="down", port=closed_port), good.relay(name="up")]
    async with RelayPool(relays) as pool:
        outcomes = [await pool.deliver("s@example.com", "r@example.org", DATA) for _ in range(6)]
    assert [o.kind for o in outcomes].count(OutcomeKind.RETRY) <= 1
    assert len(good.handler.messages) >= 5


# -- daily quotas ---------------------------------------------------------------------------------


class CountingGate:
    """Sends left per relay, as the sending service's allowances would hold them."""

    def __init__(self, **left: int) -> None:
        self.left = dict(left)
        self.given: list[str] = []

    def take(self, relay: str) -> bool:
        if self.left.get(relay, 0) <= 0:
            return False
        self.left[relay] -= 1
        return True

    def give(self, relay: str) -> None:
        self.left[relay] += 1
        self.given.append(relay)


async def test_a_relay_with_a_quota_is_used_only_while_the_gate_admits(start_server: StartServer) -> None:
    server = start_server(rcpt_replies={"bad@example.org": "550 5.1.1 no such user"})
    gate = CountingGate(limited=2)
    async with RelayPool([server.relay(name="limited", daily_quota=100)]) as pool:
        refused = await pool.deliver("s@example.com", "bad@example.org", DATA, gate)
        sent = [await pool.deliver("s@example.com", f"r{n}@example.org", DATA, gate) for n in range(2)]
        waiting = await pool.deliver("s@example.com", "late@example.org", DATA, gate)
    assert refused.kind is OutcomeKind.FAILED and gate.given == ["limited"]  # a refusal uses no send
    assert [outcome.kind for outcome in sent] == [OutcomeKind.SENT, OutcomeKind.SENT]
    assert (waiting.kind, waiting.code) == (OutcomeKind.WAIT, 0)
    assert [message.rcpt_tos for message in server.handler.messages] == [["r0@example.org"], ["r1@example.org"]]


async def test_an_unlimited_relay_takes_over_from_a_spent_one(start_server: StartServer) -> None:
    limited, unlimited = start_server(), start_server()
    gate = CountingGate(limited=3)
    relays = [limited.relay(name="limited", daily_quota=3), unlimited.relay(name="unlimited")]
    async with RelayPool(relays) as pool:
        outcomes = [await pool.deliver("s@example.com", f"r{n}@example.org", DATA, gate) for n in range(10)]
    assert {outcome.kind for outcome in outcomes} == {OutcomeKind.SENT}
    assert len(limited.handler.messages) == 3 and len(unlimited.handler.messages) == 7
    assert gate.left == {"limited": 0}


async def test_without_a_gate_quotas_are_not_counted(start_server: StartServer) -> None:
    server = start_server()
    async with RelayPool([server.relay(name="limited", daily_quota=1)]) as pool:
        outcomes = [await pool.deliver("s@example.com", "r@example.org", DATA) for _ in range(2)]
    assert [outcome.kind for outcome in outcomes] == [OutcomeKind.SENT, OutcomeKind.SENT]


# -- rate limits ----------------------------------------------------------------------------------


class FakeTime:
    """A clock that moves only when someone sleeps on it; records every sleep."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 9))
        self.now += seconds


async def test_token_bucket_spaces_sequential_callers() -> None:
    fake = FakeTime()
    bucket = TokenBucket(10, clock=fake.clock, sleep=fake.sleep)
    for _ in range(5):
        await bucket.acquire()
    assert fake.sleeps == [0.1] * 4
    assert fake.now == pytest.approx(100.4)


async def test_token_bucket_books_concurrent_callers_in_order() -> None:
    fake = FakeTime()
    slept: list[float] = []

    async def record(seconds: float) -> None:  # the clock stands still: everybody arrives at once
        slept.append(round(seconds, 9))

    bucket = TokenBucket(4, burst=2, clock=fake.clock, sleep=record)
    await asyncio.gather(*(bucket.acquire() for _ in range(6)))
    assert sorted(slept) == [0.25, 0.5, 0.75, 1.0]  # two in the burst, then one every 1/4 s


async def test_token_bucket_refills_after_a_pause() -> None:
    fake = FakeTime()
    bucket = TokenBucket(2, burst=3, clock=fake.clock, sleep=fake.sleep)
    for _ in range(3):
        await bucket.acquire()
    fake.now += 10
    for _ in range(3):
        await bucket.acquire()
    assert fake.sleeps == []
    await bucket.acquire(2)
    assert fake.sleeps == [1.0]


async def test_pool_applies_the_relay_rate(start_server: StartServer) -> None:
    server = start_server()
    relay = server.relay(rate=10.0, connections=4)
    fake = FakeTime()
    limiter = LocalRateLimiter([(relay.name, relay.rate)], clock=fake.clock, sleep=fake.sleep)
    async with RelayPool([relay], limiter=limiter) as pool:
        for _ in range(5):
            await pool.deliver("s@example.com", "r@example.org", DATA)
    assert fake.sleeps == [0.1] * 4 and len(server.handler.messages) == 5


async def test_pool_rate_holds_in_real_time(start_server: StartServer) -> None:
    server = start_server()
    async with RelayPool([server.relay(rate=50.0, connections=4)]) as pool:
        started = time.monotonic()
        await asyncio.gather(*(pool.deliver("s@example.com", "r@example.org", DATA) for _ in range(11)))
        elapsed = time.monotonic() - started
    assert elapsed >= 10 / 50 * 0.9  # ten intervals of 20 ms after the first message


async def test_an_external_limiter_is_asked_per_message(start_server: StartServer) -> None:
    asked: list[tuple[str, int]] = []

    class SharedLimiter:
        async def acquire(self, relay_name: str, count: int = 1) -> None:
            asked.append((relay_name, count))

    server = start_server()
    async with RelayPool([server.relay(name="shared", rate=0.001)], limiter=SharedLimiter()) as pool:
        await pool.deliver("s@example.com", "r@example.org", DATA)
        await pool.deliver("s@example.com", "r@example.org", DATA)
    assert asked == [("shared", 1), ("shared", 1)]


def test_pool_needs_distinct_relays() -> None:
    with pytest.raises(ValueError):
        RelayPool([])
    relay = parse_relay("smtp://127.0.0.1:2525")
    with pytest.raises(ValueError, match="unique"):
        RelayPool([relay, relay])
