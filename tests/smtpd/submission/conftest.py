"""A runtime with its submission listeners on free ports, an account whose sender has an SMTP password, a real
relay (aiosmtpd) the worker sends through, and the Tencent API served over HTTP for the official SDK."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from sqlalchemy import text
from tests.worker.conftest import RelayHandler

from mailyard import bootstrap
from mailyard.domain import accounts
from mailyard.mail.composer import MimeComposer
from mailyard.mail.relay_mailer import RelayMailer
from mailyard.mail.relay_pool import RelayPool
from mailyard.mail.relays import RelayConfig
from mailyard.services.sending import SendingService
from mailyard.settings import Settings
from mailyard.smtpd.listener import bound_port
from mailyard.system.vault import FernetCipher, load_master_key
from mailyard.worker.runner import Worker, WorkerOptions

SENDER = "hello@news.example.com"
PASSWORD = "Abcdef12345"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        identity_verification="trust",
        submission_smtp="127.0.0.1:0",
        submission_smtps="127.0.0.1:0",
        submission_max_message_bytes=256 * 1024,
    )


@dataclass
class Submission:
    """The running listeners and what a test needs to talk to them."""

    listeners: bootstrap.SmtpListeners
    runtime: bootstrap.Runtime
    principal: accounts.Principal

    @property
    def port(self) -> int:
        return bound_port(self.listeners.servers[0])

    @property
    def implicit_port(self) -> int:
        return bound_port(self.listeners.servers[1])

    @property
    def certificate(self) -> Path:
        assert self.listeners.tls is not None
        return self.listeners.tls.certificate

    def client_tls(self) -> ssl.SSLContext:
        """Trusts exactly the listener's certificate (it names the machine, not 127.0.0.1)."""
        context = ssl.create_default_context(cafile=str(self.certificate))
        context.check_hostname = False
        return context

    async def stored(self) -> dict[str, int]:
        """Rows a submission would add, counted with plain SQL."""
        async with self.runtime.engine.connect() as connection:

            async def count(table: str) -> int:
                return int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())

            return {table: await count(table) for table in ("tasks", "runs", "deliveries", "submitted_messages")}


@pytest.fixture
async def submission(runtime: bootstrap.Runtime, team: Any) -> AsyncIterator[Submission]:
    principal = team.admin.principal
    identities = runtime.services.identities
    await identities.create_domain(principal, "news.example.com")
    await identities.create_sender(principal, address=SENDER, display_name="News")
    await identities.set_smtp_password(principal, SENDER, PASSWORD)
    listeners = await bootstrap.start_submission(runtime)
    try:
        yield Submission(listeners, runtime, principal)
    finally:
        await listeners.close()


@dataclass
class Relay:
    handler: RelayHandler
    port: int


@pytest.fixture
def relay() -> Iterator[Relay]:
    handler = RelayHandler()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    yield Relay(handler, port)
    controller.stop()


@pytest.fixture
async def deliver(runtime: bootstrap.Runtime, relay: Relay) -> AsyncIterator[Callable[[], Any]]:
    """`await deliver()`: a worker with the runtime's DKIM keys sends everything queued through the relay."""
    cipher = FernetCipher(load_master_key(runtime.settings.master_key, runtime.settings.data_dir))
    config = RelayConfig(host="127.0.0.1", port=relay.port, name="test", timeout=5.0, connections=2)
    mailer = RelayMailer(RelayPool([config]))
    sending = SendingService(runtime.store, runtime.services.clock, mailer, MimeComposer(), cipher=cipher)
    worker = Worker(sending, runtime.services.scheduling, WorkerOptions(concurrency=2, batch_size=10))
    yield worker.drain
    await sending.close()


@pytest.fixture
async def http_url(runtime: bootstrap.Runtime) -> AsyncIterator[str]:
    """The runtime's web app served over HTTP on a free port, for the official SDK (the socket listens before
    the server starts, so the first request simply waits for it)."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen(64)
    port = int(listening.getsockname()[1])
    config = uvicorn.Config(bootstrap.create_web_app(runtime), log_level="warning")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    await serving
    listening.close()
