"""`mailyard webhooks`: register an endpoint, send it a test event, read what it received, delete it."""

from __future__ import annotations

import json

import pytest
from tests.cli.conftest import Cli
from tests.worker.webhook_receiver import webhook_receiver


@pytest.fixture
def cli_settings() -> dict[str, str]:
    return {"MAILYARD_WEBHOOK_ALLOW_PRIVATE": "true"}  # the receiver listens on 127.0.0.1


def test_a_webhook_from_the_command_line(cli: Cli) -> None:
    cli("keys", "create", "--account", "acme", "--user", "alice", "--json")
    with webhook_receiver() as receiver:
        created = json.loads(cli("webhooks", "add", receiver.url, "--event", "delivered", "--json").output)
        assert created["secret"].startswith("whsec_") and created["events"] == ["delivered"]
        listed = json.loads(cli("webhooks", "list", "--json").output)
        assert [item["url"] for item in listed["items"]] == [receiver.url]
        assert "on its way" in cli("webhooks", "test", str(created["id"])).output

        async def post(runtime):  # what a worker does
            return await runtime.services.webhook_poster.post_due()

        assert cli.with_services(post) == 1
        body = json.loads(receiver.received[0].body)
        assert (body["event"], body["email"]) == ("delivered", "test@example.com")
        sent = json.loads(cli("webhooks", "deliveries", str(created["id"]), "--json").output)
        assert [(item["state"], item["last_status"]) for item in sent["items"]] == [("done", 200)]
    assert "deleted" in cli("webhooks", "delete", str(created["id"])).output
    refused = cli("webhooks", "add", "http://127.0.0.1:9/x", "--event", "exploded", succeeds=False)
    assert refused.exit_code == 1 and "unknown event type" in refused.output
