"""`/metrics` counts events by kind and webhook posts by outcome, after real ones: a copy refused by a real
relay, a real bounce and complaint through the inbound listener, an open, a click and an unsubscribe over
HTTP, and webhooks posted to a real HTTP receiver that fails once and then says the endpoint is gone. Nothing
is counted for a change that was rolled back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.observability.test_probes_and_metrics import _sample
from tests.worker import returned_mail
from tests.worker.test_inbound_bounces import converse
from tests.worker.test_tracking import local, send
from tests.worker.test_webhooks import register
from webhook_receiver import webhook_receiver

from mailyard import bootstrap
from mailyard.domain import events
from mailyard.settings import Settings
from mailyard.smtpd.listener import ListenerAddress, bound_port

pytestmark = pytest.mark.timeout(90)
COMPLAINTS = "complaints@bounce.news.example.com"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The receiver listens on 127.0.0.1, so this installation allows private addresses."""
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, identity_verification="trust", webhook_allow_private=True
    )


async def _returned(runtime: bootstrap.Runtime, messages: list[tuple[str, bytes]]) -> None:
    listener = await bootstrap.start_inbound(runtime, ListenerAddress(host="127.0.0.1", port=0, explicit=True))
    try:
        for recipient, content in messages:
            assert await converse(bound_port(listener.servers[0]), recipient, content) == (250, 250)
    finally:
        await listener.close()


async def test_events_and_webhook_posts_are_counted(
    runtime: bootstrap.Runtime,
    api: httpx.AsyncClient,
    clock: Any,
    relay: Any,
    make_worker: Any,
    team: Any,
    make_content: Any,
) -> None:
    auth = team.admin.auth
    with webhook_receiver() as receiver:
        endpoint = await register(api, auth, url=receiver.url)
        relay.handler.rcpt_replies["ben@example.org"] = ["550 5.1.1 No such user"]
        _task, bodies = await send(runtime, relay, make_worker, team.admin.principal, make_content, unsubscribe="1")
        ann = bodies["ann@example.org"]
        verp = relay.handler.envelope_senders["ann@example.org"]
        await _returned(
            runtime,
            [
                (verp, returned_mail.postfix_dsn(verp, "ann@example.org")),
                (COMPLAINTS, returned_mail.complaint(COMPLAINTS, "ann@example.org", return_path=verp)),
            ],
        )
        assert (await api.get(local(re.findall(r'<img src="([^"]+/o\.gif)"', ann)[0]))).status_code == 200
        assert (await api.get(local(re.findall(r'href="(http[^"]+/c/[^"]+)"', ann)[0]))).status_code == 302
        unsubscribe = local(re.findall(r'href="(http[^"]+/unsubscribe/[^"?]+)', ann)[0])
        assert (await api.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})).status_code == 200
        assert runtime.services.tracking is not None and await runtime.services.tracking.flush() == 2

        scraped = (await api.get("/metrics")).text
        counted = {kind: _sample(scraped, f'mailyard_events_total{{kind="{kind}"}}') for kind in _KINDS}
        assert counted == {"delivered": 1, "bounce": 2, "spamreport": 1, "open": 1, "click": 1, "unsubscribe": 1}
        assert _sample(scraped, "mailyard_webhook_queue_pending") == 7

        poster = runtime.services.webhook_poster
        assert poster is not None
        receiver.statuses = [500]  # the first post to arrive fails and is tried again later
        assert await poster.post_due() == 7
        clock.advance(minutes=5)
        scraped = (await api.get("/metrics")).text
        assert _sample(scraped, 'mailyard_webhooks_total{outcome="delivered"}') == 6
        assert _sample(scraped, 'mailyard_webhooks_total{outcome="retrying"}') == 1
        assert _sample(scraped, "mailyard_webhook_queue_pending") == 1
        assert _sample(scraped, "mailyard_webhook_queue_oldest_age_seconds") >= 300
        assert await poster.post_due() == 1

        receiver.statuses = [410]
        assert (await api.post(f"/v1/webhooks/{endpoint['id']}/test", auth=auth)).status_code == 202
        assert await poster.post_due() == 1
        scraped = (await api.get("/metrics")).text
        assert _sample(scraped, 'mailyard_webhooks_total{outcome="delivered"}') == 7
        assert _sample(scraped, 'mailyard_webhooks_total{outcome="endpoint_gone"}') == 1
        assert _sample(scraped, "mailyard_webhook_queue_pending") == 0
        assert _sample(scraped, "mailyard_webhook_queue_oldest_age_seconds") == 0


_KINDS = ("delivered", "bounce", "spamreport", "open", "click", "unsubscribe")


async def test_events_rolled_back_are_not_counted(
    runtime: bootstrap.Runtime,
    api: httpx.AsyncClient,
    clock: Any,
    relay: Any,
    make_worker: Any,
    team: Any,
    make_content: Any,
) -> None:
    await send(runtime, relay, make_worker, team.admin.principal, make_content)
    before = _sample((await api.get("/metrics")).text, 'mailyard_events_total{kind="delivered"}')
    async with runtime.store.transaction() as repositories:
        page = await repositories.events.latest_of_address(
            team.account_id, "ann@example.org", (events.EventType.DELIVERED,), 1
        )
    opened = events.NewEvent(type=events.EventType.OPEN, delivery=page[0].delivery, occurred_at=clock.now())

    class Refused(Exception):
        pass

    with pytest.raises(Refused):
        async with runtime.store.transaction() as repositories:
            await runtime.services.event_recorder.record(repositories, [opened])
            raise Refused
    scraped = (await api.get("/metrics")).text
    assert 'mailyard_events_total{kind="open"}' not in scraped
    assert _sample(scraped, 'mailyard_events_total{kind="delivered"}') == before == 2
