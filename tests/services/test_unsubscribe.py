"""Address-level unsubscribe configurations, the List-Unsubscribe link on messages, and following it."""

from __future__ import annotations

import base64
import email
import email.policy
import re
from typing import Any

import httpx
import pytest

from mailyard import bootstrap
from mailyard.domain import accounts, paging, runs
from mailyard.errors import Conflict, InvalidInput, NotFound
from mailyard.services.unsubscribe import Recipient, UnsubscribeLinks
from mailyard.system.signing import HmacSigner
from mailyard.worker.runner import Worker, WorkerOptions

pytestmark = pytest.mark.timeout(60)
ALL = paging.Window(offset=0, limit=500)
LINK = re.compile(r"<http://127\.0\.0\.1:8080(/unsubscribe/([A-Za-z0-9_.-]+)(?:\?lang=[0-9]+)?)>")


@pytest.fixture
def worker(runtime: bootstrap.Runtime) -> Worker:
    services = runtime.services
    return Worker(services.sending, services.scheduling, WorkerOptions(batch_size=10, concurrency=2), name="test")


async def headers_of(runtime: bootstrap.Runtime, principal: accounts.Principal, task_id: int) -> dict[str, str]:
    """The List-Unsubscribe header of each outbox message of a task, by recipient ("" when absent)."""
    found = {}
    for item in (await runtime.services.outbox.list(principal, ALL, task_id=task_id)).items:
        content = (await runtime.services.outbox.get(principal, item.id)).content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        found[item.recipient] = str(message.get("List-Unsubscribe", ""))
    return found


async def test_configs_belong_to_sender_addresses_of_the_account(
    runtime: bootstrap.Runtime, team: Any, rival: Any, make_content: Any
) -> None:
    service, principal = runtime.services.unsubscribe, team.admin.principal
    content = await make_content(principal)
    with pytest.raises(NotFound) as unknown:
        await service.create_config(principal, address="nobody@news.example.com", language="1", enabled=True)
    assert unknown.value.code == "sender_not_found"
    with pytest.raises(InvalidInput) as option:
        await service.create_config(principal, address=content.sender, language="13", enabled=True)
    assert option.value.code == "unsubscribe_option_invalid"

    created = await service.create_config(principal, address=content.sender.upper(), language="2", enabled=True)
    assert (created.address, created.language, created.enabled) == (content.sender, "2", True)
    with pytest.raises(Conflict):
        await service.create_config(principal, address=content.sender, language="1", enabled=True)
    with pytest.raises(NotFound):  # the rival has no such sender
        await service.create_config(rival.admin.principal, address=content.sender, language="1", enabled=True)
    assert (await service.list_configs(rival.admin.principal, ALL)).total == 0

    await service.update_config(principal, address=content.sender, language="0", enabled=False)
    page = await service.list_configs(principal, ALL)
    assert [(item.language, item.enabled) for item in page.items] == [("0", False)]
    await service.delete_config(principal, content.sender)
    with pytest.raises(NotFound) as gone:
        await service.delete_config(principal, content.sender)
    assert gone.value.code == "unsubscribe_config_not_found"


async def test_messages_carry_a_link_only_when_configured_or_asked(
    runtime: bootstrap.Runtime, team: Any, make_content: Any, worker: Worker
) -> None:
    services, principal = runtime.services, team.admin.principal
    content = await make_content(principal)

    plain = await services.tasks.create(principal, content.task_request())
    asked = await services.tasks.create(principal, content.task_request(unsubscribe="2"))
    await worker.drain()
    assert set((await headers_of(runtime, principal, plain.id)).values()) == {""}
    assert all(LINK.fullmatch(value) for value in (await headers_of(runtime, principal, asked.id)).values())

    await services.unsubscribe.create_config(principal, address=content.sender, language="1", enabled=True)
    configured = await services.tasks.create(principal, content.task_request())
    await worker.drain()
    links = await headers_of(runtime, principal, configured.id)
    assert len(links) == 3 and all(LINK.fullmatch(value) for value in links.values())
    assert len(set(links.values())) == 3  # one token per recipient


async def test_following_the_link_suppresses_the_address_for_later_runs(
    runtime: bootstrap.Runtime, team: Any, rival: Any, make_content: Any, worker: Worker, api: httpx.AsyncClient
) -> None:
    services, principal = runtime.services, team.admin.principal
    content = await make_content(principal)
    await services.unsubscribe.create_config(principal, address=content.sender, language="2", enabled=True)
    task = await services.tasks.create(principal, content.task_request())
    await worker.drain()
    match = LINK.fullmatch((await headers_of(runtime, principal, task.id))["ben@example.org"])
    assert match is not None
    path = match.group(1)

    page = await api.get(path)  # a link preview must not unsubscribe
    assert page.status_code == 200 and "ben@example.org" in page.text and "<form" in page.text
    assert (await services.tasks.create(principal, content.task_request())).counters.skipped == 0

    done = await api.post(path, content=b"List-Unsubscribe=One-Click")
    assert done.status_code == 200 and "ben@example.org" in done.text
    assert (await api.post(path)).status_code == 200  # following it twice is harmless

    later = await services.tasks.create(principal, content.task_request())
    skipped = await services.tasks.deliveries(principal, later.id, ALL, state=runs.DeliveryState.SKIPPED)
    assert [(item.address, item.reason) for item in skipped.items] == [("ben@example.org", "suppressed: unsubscribe")]

    rival_content = await make_content(rival.admin.principal, domain="globex.example.com")
    other = await services.tasks.create(rival.admin.principal, rival_content.task_request())
    assert other.counters.skipped == 0  # an unsubscribe is per account


async def test_forged_and_damaged_links_are_refused(
    runtime: bootstrap.Runtime, team: Any, api: httpx.AsyncClient
) -> None:
    links = runtime.services.unsubscribe.links
    token = links.token(team.account_id, "ann@example.org")
    assert links.read(token) is not None
    sealed = _decoded(token)
    flipped = [
        _encoded(sealed[:index] + bytes([sealed[index] ^ 1]) + sealed[index + 1 :]) for index in range(len(sealed))
    ]
    forged = flipped[-1]
    for bad in (*flipped, token[:-2], token + "A", "", "a.b.c", "%00", token[:20], token + "." + token):
        assert links.read(bad) is None, bad
    for method in ("GET", "POST"):
        response = await api.request(method, f"/unsubscribe/{forged}")
        assert response.status_code == 404 and "not valid" in response.text
    assert (await runtime.services.suppressions.list_custom(team.admin.principal, ALL)).total == 0


async def test_links_name_nobody_to_whoever_reads_them(runtime: bootstrap.Runtime, team: Any) -> None:
    links = runtime.services.unsubscribe.links
    token = links.token(team.account_id, "Ann.Example@example.org")
    assert "." not in token
    sealed = _decoded(token)
    for revealing in (b"ann.example", b"example.org", f"{team.account_id}:".encode()):
        assert revealing not in sealed.lower()
    assert len(sealed) % 16 == 0  # the exact length of the address does not show either
    assert links.token(team.account_id, "ann.example@EXAMPLE.org") == token  # one link per recipient
    assert links.read(token) == Recipient(account_id=team.account_id, address="ann.example@example.org")
    assert links.token(team.account_id + 1, "ann.example@example.org") != token


def test_links_sent_before_sealing_keep_working() -> None:
    signer = HmacSigner(b"k" * 32, purpose="mailyard unsubscribe links")
    links = UnsubscribeLinks(signer, "https://mail.example.com")
    payload = b"7:ann@example.org"  # the earlier form: base64(account:address).base64(mac)
    mac = signer.sign(b"mailyard unsubscribe v1\x00" + payload)[:16]
    legacy = f"{_encoded(payload)}.{_encoded(mac)}"
    assert links.read(legacy) == Recipient(account_id=7, address="ann@example.org")
    assert links.read(f"{_encoded(b'8:ann@example.org')}.{_encoded(mac)}") is None


def _encoded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decoded(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
