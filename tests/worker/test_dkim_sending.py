"""Messages from a domain with a DKIM key arrive signed, and the signature verifies against its DNS value."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import dkim
import pytest

from mailyard import bootstrap
from mailyard.domain import accounts, paging
from mailyard.mail.composer import MimeComposer
from mailyard.mail.relay_mailer import RelayMailer
from mailyard.mail.relay_pool import RelayPool
from mailyard.services.sending import SendingService
from mailyard.system.vault import FernetCipher, load_master_key
from mailyard.worker.runner import Worker, WorkerOptions

pytestmark = pytest.mark.timeout(60)
ALL = paging.Window(offset=0, limit=500)
# dkimpy refuses signatures dated in the future; the default test clock may be ahead of the real one.
PAST = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


async def published_key(runtime: bootstrap.Runtime, principal: accounts.Principal) -> Callable[..., bytes | None]:
    """A DNS lookup for dkim.verify answering with the domain's published DKIM TXT value."""
    (domain,) = await runtime.services.identities.list_domains(principal)
    name = f"{domain.dkim_selector}._domainkey.{domain.domain}.".encode()

    def lookup(query: bytes, timeout: int = 5) -> bytes | None:
        return domain.dkim_public_value.encode() if query == name else None

    return lookup


async def test_relayed_messages_verify(
    runtime: bootstrap.Runtime, clock: Any, relay: Any, team: Any, make_content: Any
) -> None:
    clock.set(PAST)
    principal = team.admin.principal
    content = await make_content(principal)
    await runtime.services.tasks.create(principal, content.task_request())
    cipher = FernetCipher(load_master_key(runtime.settings.master_key, runtime.settings.data_dir))
    mailer = RelayMailer(RelayPool([relay.config()]))
    sending = SendingService(runtime.store, clock, mailer, MimeComposer(), cipher=cipher)
    try:
        worker = Worker(sending, runtime.services.scheduling, WorkerOptions(concurrency=2, batch_size=10))
        assert await worker.drain() == 3
    finally:
        await sending.close()

    lookup = await published_key(runtime, principal)
    assert len(relay.handler.received) == 3
    for _, data in relay.handler.received:
        assert data.startswith(b"DKIM-Signature: v=1; a=rsa-sha256;")
        assert b" d=news.example.com; s=" in data
        assert await asyncio.to_thread(dkim.verify, data, dnsfunc=lookup)
        assert not dkim.verify(data.replace(b"Message-ID: <", b"Message-ID: <x", 1), dnsfunc=lookup)


async def test_outbox_copies_are_signed(runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any) -> None:
    clock.set(PAST)
    principal = team.admin.principal
    content = await make_content(principal, addresses=("ann@example.org",))
    await runtime.services.tasks.create(principal, content.task_request())
    services = runtime.services
    assert await Worker(services.sending, services.scheduling, name="w").drain() == 1
    (kept,) = (await services.outbox.list(principal, ALL)).items
    data = (await services.outbox.get(principal, kept.id)).content or b""
    assert dkim.verify(data, dnsfunc=await published_key(runtime, principal))
