"""The Quick BI door's guards: one key using up its nonces, or one account its rate, stops nobody else; one
client address is limited before anything is authenticated."""

from __future__ import annotations

import time

import pytest
from test_aliyun_door import assert_error, call_asgi, send_raw

from mailyard.web.guards.clients import ClientGate
from mailyard.web.guards.nonces import MemoryNonceGuard
from mailyard.web.guards.throttle import ActionThrottle

pytestmark = pytest.mark.timeout(30)
OTHER_KEY, OTHER_SECRET = "LTAIsecondKey", "secondSecret"


def signed(harness, index: int, *, key: str | None = None, secret: str | None = None, action: str = "GetMailTaskList"):
    return harness.sign_v3(
        {},
        at=time.time(),
        action=action,
        nonce=f"{index:032x}",
        access_key_id=key or harness.access_key_id,
        secret=secret or harness.secret,
    )


def door_app(harness, **options):
    actions = harness.FakeActions()
    return harness.make_app(harness.make_door(actions.table(), harness.SettableClock(), **options)), actions


async def test_a_key_out_of_nonces_is_throttled_alone(harness):
    app, _ = door_app(harness, nonce_guard=MemoryNonceGuard(capacity_per_key=3))
    for index in range(3):
        assert (await send_raw(app, signed(harness, index))).status == 200
    answer = await send_raw(app, signed(harness, 3))
    assert_error(answer, "Throttling.User", 400)
    assert answer.headers["x-acs-retry-after"] == "1000"
    # Every other key is served as before: no ServiceUnavailable for the whole door.
    for index in range(3):
        assert (await send_raw(app, signed(harness, 100 + index, key=OTHER_KEY, secret=OTHER_SECRET))).status == 200


async def test_the_rate_limit_counts_per_action_per_account(harness):
    throttle = ActionThrottle(per_second=2, key_prefix=f"test-{time.monotonic_ns()}")
    app, actions = door_app(harness, throttle=throttle, account_of=lambda principal: principal)
    statuses = [(await send_raw(app, signed(harness, index))).status for index in range(3)]
    assert statuses == [200, 200, 400]
    assert_error(await send_raw(app, signed(harness, 3)), "Throttling.User", 400)
    assert len(actions.calls) == 2
    # Another action of the same account, and the same action of another account, still go through.
    other_action = await send_raw(app, signed(harness, 4, action="ManualRunMailTask"))
    assert other_action.body["Code"] == "Mail.Not.Found"
    other_account = await send_raw(app, signed(harness, 5, key=OTHER_KEY, secret=OTHER_SECRET))
    assert other_account.status == 200


async def test_one_client_address_is_limited_before_authentication(harness):
    app, _ = door_app(harness, client_gate=ClientGate(per_second=2))
    unsigned = harness.RawRequest("POST", "/?AccessKeyId=nobody&Signature=x", (("x-acs-action", "GetMailTaskList"),))
    statuses = [(await send_raw(app, unsigned)).status for _ in range(2)]
    assert 429 not in statuses
    answer = await send_raw(app, signed(harness, 1))  # even a well-signed request from that address waits
    assert_error(answer, "Throttling.User", 400)


async def test_a_content_length_of_other_digits_is_no_server_error(harness):
    app, _ = door_app(harness)
    raw = signed(harness, 1)
    headers = [(key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in raw.headers]
    answer = await call_asgi(app, raw.method, raw.target.encode(), [*headers, (b"content-length", b"\xb2")], [b""])
    assert answer.status < 500, answer.body  # latin-1 "²" is a digit to str.isdigit(), not to int()
