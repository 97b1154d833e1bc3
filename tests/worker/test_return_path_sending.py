"""Every copy leaves with its own envelope sender on the return-path domain, naming its delivery."""

from __future__ import annotations

from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.domain import paging

pytestmark = pytest.mark.timeout(60)
ALL = paging.Window(offset=0, limit=500)


async def test_each_copy_has_its_own_return_path(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    content = await make_content(principal)
    task = await runtime.services.tasks.create(principal, content.task_request())
    await make_worker(relay.config()).drain()

    deliveries = {
        item.address: item.id for item in (await runtime.services.tasks.deliveries(principal, task.id, ALL)).items
    }
    senders = relay.handler.envelope_senders
    assert sorted(senders) == sorted(deliveries)
    assert len(set(senders.values())) == 3
    return_paths = runtime.services.return_paths
    assert return_paths is not None
    for address, envelope_sender in senders.items():
        assert envelope_sender.startswith("hello+") and envelope_sender.endswith("@bounce.news.example.com")
        found = return_paths.read(envelope_sender)
        assert found is not None and found.delivery_id == deliveries[address]


async def test_domains_list_their_return_path_records(api: Any, runtime: bootstrap.Runtime, team: Any) -> None:
    created = await api.post("/v1/domains", json={"domain": "mail.example.net"}, auth=team.admin.auth)
    assert created.status_code == 201, created.text
    records = {(item["type"], item["name"]): item["expected_value"] for item in created.json()["dns_records"]}
    assert (
        records[("MX", "bounce.mail.example.net")] == "127.0.0.1"
    )  # the public URL's host, without MAILYARD_INBOUND_HOSTNAME
    assert records[("TXT", "bounce.mail.example.net")] == "v=spf1 include:mail.example.net ~all"
