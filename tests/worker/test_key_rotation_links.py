"""Rotating the master key breaks no link already sent: copies sent before `rotate-master` still have their
bounces attributed, their tracked links redirect and their unsubscribe links work in a process started after
the rotation; tokens made after it read in a process started before it; forgotten keys authenticate nothing."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from tests.worker import returned_mail
from tests.worker.test_inbound_bounces import blacklist, converse
from tests.worker.test_tracking import local, send

from mailyard import bootstrap
from mailyard.domain.return_path import template_for
from mailyard.services.return_path import ReturnPaths
from mailyard.settings import Settings
from mailyard.smtpd.listener import ListenerAddress, bound_port
from mailyard.system.signing import HmacSigner
from mailyard.system.vault import MASTER_KEY_FILE

pytestmark = pytest.mark.timeout(90)
SENDER = "hello@news.example.com"  # the sender make_content gives tasks


def _client(runtime: bootstrap.Runtime) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=bootstrap.create_web_app(runtime))
    return httpx.AsyncClient(transport=transport, base_url="http://mailyard.test")


async def _bounce(runtime: bootstrap.Runtime, return_path: str, address: str) -> tuple[int, int | None]:
    listener = await bootstrap.start_inbound(runtime, ListenerAddress(host="127.0.0.1", port=0, explicit=True))
    try:
        return await converse(
            bound_port(listener.servers[0]), return_path, returned_mail.postfix_dsn(return_path, address)
        )
    finally:
        await listener.close()


async def test_links_sent_before_a_rotation_keep_working(
    runtime: bootstrap.Runtime,
    settings: Settings,
    clock: Any,
    relay: Any,
    make_worker: Any,
    team: Any,
    make_content: Any,
) -> None:
    principal = team.admin.principal
    _task, bodies = await send(runtime, relay, make_worker, principal, make_content, unsubscribe="1")
    old_return_path = relay.handler.envelope_senders["ann@example.org"]
    old_click = local(re.findall(r'href="(http[^"]+/c/[^"]+)"', bodies["ann@example.org"])[0])
    old_unsubscribe = local(re.findall(r'href="(http[^"]+/unsubscribe/[^"?]+)', bodies["ben@example.org"])[0])
    old_key = (settings.data_dir / MASTER_KEY_FILE).read_bytes().strip()

    _resealed, finished = await bootstrap.rotate_master_key(settings)
    assert finished and (settings.data_dir / MASTER_KEY_FILE).read_bytes().strip() != old_key

    after = await bootstrap.open_runtime(settings, clock=clock, upgrade_schema=False)
    try:
        assert await _bounce(after, old_return_path, "ann@example.org") == (250, 250)
        assert (await blacklist(after, principal.account_id))["ann@example.org"][0] == "hard_bounce"
        async with _client(after) as web:
            clicked = await web.get(old_click)
            assert (clicked.status_code, clicked.headers["location"]) == (302, "https://shop.example.com/sale?a=1&b=2")
            unsubscribed = await web.post(old_unsubscribe, data={"List-Unsubscribe": "One-Click"})
            assert unsubscribed.status_code == 200
        # A token made under the new key is not the old one, and the process started before reads it too.
        before_paths, after_paths = runtime.services.return_paths, after.services.return_paths
        assert before_paths is not None and after_paths is not None
        template = template_for(SENDER, after_paths.settings)
        fresh = after_paths.address(template, 4242)
        old_signer = HmacSigner(old_key, purpose="mailyard return path")
        assert fresh != ReturnPaths(old_signer, after_paths.settings).address(template, 4242)
        found = before_paths.read(fresh)
        assert found is not None and found.delivery_id == 4242
    finally:
        await after.close()

    # Once the retired keys are forgotten, links made under them are refused.
    assert bootstrap.forget_retired_master_keys(settings)
    forgotten = await bootstrap.open_runtime(settings, clock=clock, upgrade_schema=False)
    try:
        assert await _bounce(forgotten, old_return_path, "ann@example.org") == (550, None)
        async with _client(forgotten) as web:
            assert (await web.get(old_click)).status_code == 404
            assert (await web.post(old_unsubscribe, data={"List-Unsubscribe": "One-Click"})).status_code == 404
    finally:
        await forgotten.close()
