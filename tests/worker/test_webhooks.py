"""Webhooks end to end: events of a task sent through a real relay are posted to a real HTTP receiver in
Tencent's callback format, signed with Standard Webhooks; retried with backoff, given up after a day, and an
endpoint that answers 410 is switched off. URLs that reach internal addresses are refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook
from webhook_receiver import Receiver, webhook_receiver

from mailyard import bootstrap
from mailyard.domain import paging
from mailyard.settings import Settings

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The receiver listens on 127.0.0.1, so this installation allows private addresses."""
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, identity_verification="trust", webhook_allow_private=True
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture
async def api(runtime: bootstrap.Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=bootstrap.create_web_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://mailyard.test") as client:
        yield client


async def register(api: httpx.AsyncClient, auth: tuple[str, str], **body: Any) -> dict[str, Any]:
    response = await api.post("/v1/webhooks", json=body, auth=auth)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def send_task(runtime: bootstrap.Runtime, relay: Any, make_worker: Any, principal: Any, make_content: Any) -> Any:
    content = await make_content(principal, addresses=("ann@example.org", "ben@example.org"))
    task = await runtime.services.tasks.create(principal, content.task_request())
    await make_worker(relay.config()).drain()
    return task


async def test_events_are_posted_signed_in_tencents_format(
    runtime: bootstrap.Runtime, api: Any, team: Any, relay: Any, make_worker: Any, make_content: Any, receiver: Receiver
) -> None:
    auth = team.admin.auth
    relay.handler.rcpt_replies["ben@example.org"] = ["550 5.1.1 No such user"]
    created = await register(api, auth, url=receiver.url, custom="shop-1")
    assert created["secret"].startswith("whsec_") and created["events"] == sorted(created["events"])
    listed = (await api.get("/v1/webhooks", auth=auth)).json()
    assert [item["id"] for item in listed] == [created["id"]] and "secret" not in listed[0]

    task = await send_task(runtime, relay, make_worker, team.admin.principal, make_content)
    poster = runtime.services.webhook_poster
    assert await poster.post_due() == 2
    assert await poster.post_due() == 0
    bodies = {}
    for received in receiver.received:
        Webhook(created["secret"]).verify(received.body, received.headers)  # raises when the signature is wrong
        body = json.loads(received.body)
        bodies[body["email"]] = body
    delivered, bounced = bodies["ann@example.org"], bodies["ben@example.org"]
    assert (delivered["event"], delivered["eventid"], bounced["event"], bounced["eventid"]) == (
        "delivered",
        1,
        "bounce",
        3,
    )
    assert bounced["bounceType"] == "hard_bounce" and "5.1.1" in bounced["reason"]
    assert delivered["from"] == "hello@news.example.com" and delivered["fromDomain"] == "news.example.com"
    assert (delivered["taskId"], delivered["X-Tencentcloudses-Cb-Custom"]) == (task.id, "shop-1")
    assert isinstance(delivered["timestamp"], int) and delivered["username"] == str(team.account_id)
    page = (await api.get(f"/v1/webhooks/{created['id']}/deliveries", auth=auth)).json()
    assert [(item["state"], item["last_status"]) for item in page["items"]] == [("done", 200), ("done", 200)]


async def test_failures_are_retried_then_given_up_and_410_switches_off(
    runtime: bootstrap.Runtime, api: Any, team: Any, clock: Any, receiver: Receiver
) -> None:
    auth = team.admin.auth
    created = await register(api, auth, url=receiver.url, events=["delivered"])
    poster = runtime.services.webhook_poster
    receiver.statuses = [500, 503]
    assert (await api.post(f"/v1/webhooks/{created['id']}/test", auth=auth)).status_code == 202
    assert await poster.post_due() == 1  # 500
    assert await poster.post_due() == 0  # not due yet
    clock.advance(seconds=31)
    assert await poster.post_due() == 1  # 503
    clock.advance(minutes=3)
    assert await poster.post_due() == 1  # 200
    attempts = await runtime.services.webhooks.attempts(team.admin.principal, created["id"], paging.Window(0, 10))
    assert [(item.state.value, item.attempts, item.last_status) for item in attempts.items] == [("done", 3, 200)]
    assert len(receiver.received[-1].headers["webhook-signature"]) > 10

    receiver.statuses = [500] * 100
    await api.post(f"/v1/webhooks/{created['id']}/test", auth=auth)
    for _ in range(30):
        await poster.post_due()
        clock.advance(hours=4)
    attempts = await runtime.services.webhooks.attempts(team.admin.principal, created["id"], paging.Window(0, 10))
    assert attempts.items[0].state.value == "failed" and attempts.items[0].last_answer == "x" * 500

    receiver.statuses = [410]
    await api.post(f"/v1/webhooks/{created['id']}/test", auth=auth)
    await poster.post_due()
    assert (await api.get("/v1/webhooks", auth=auth)).json()[0]["enabled"] is False


async def test_only_admins_register_and_accounts_are_apart(api: Any, team: Any, rival: Any, receiver: Receiver) -> None:
    refused = await api.post("/v1/webhooks", json={"url": receiver.url}, auth=team.members[0].auth)
    assert refused.status_code == 403
    created = await register(api, team.admin.auth, url=receiver.url)
    assert (await api.get("/v1/webhooks", auth=rival.admin.auth)).json() == []
    assert (await api.delete(f"/v1/webhooks/{created['id']}", auth=rival.admin.auth)).status_code == 404
    assert (await api.delete(f"/v1/webhooks/{created['id']}", auth=team.admin.auth)).status_code == 204
    unknown = await api.post("/v1/webhooks", json={"url": receiver.url, "events": ["exploded"]}, auth=team.admin.auth)
    assert unknown.status_code == 400


async def test_internal_addresses_are_refused_without_the_setting(
    database_url: str, tmp_path: Path, clock: Any, make_team: Any
) -> None:
    settings = Settings(data_dir=tmp_path / "strict", database_url=database_url, identity_verification="trust")
    runtime = await bootstrap.open_runtime(settings, clock=clock)
    try:
        key = await runtime.services.access.issue_key(account_name="acme", nickname="alice")
        auth = (key.secret_id, key.secret_key)
        transport = httpx.ASGITransport(app=bootstrap.create_web_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://mailyard.test") as api:
            for url in (
                "http://127.0.0.1:9/hooks",
                "http://localhost/hooks",
                "http://[::1]/hooks",
                "http://10.0.0.8/hooks",
                "http://169.254.169.254/latest/meta-data",
                "ftp://example.com/hooks",
                "http://user:pass@example.com/hooks",
                "http://no-such-host.invalid/hooks",
            ):
                answer = await api.post("/v1/webhooks", json={"url": url}, auth=auth)
                assert answer.status_code == 400, url
                assert answer.json()["error"]["code"] == "webhook_url_refused", url
            assert (await api.get("/v1/webhooks", auth=auth)).json() == []
    finally:
        await runtime.close()
