"""A real SMTP relay (aiosmtpd) answering as a test tells it to, and workers sending through it.

The relay runs in aiosmtpd's Controller thread; `gate` lets a test hold a message inside the relay with a
threading event, so graceful-stop tests wait on events, not on sleeps.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from mailyard import bootstrap
from mailyard.mail.composer import MimeComposer
from mailyard.mail.relay_mailer import RelayMailer
from mailyard.mail.relay_pool import RelayPool
from mailyard.mail.relays import RelayConfig
from mailyard.services.sending import SendingService
from mailyard.worker.runner import Worker, WorkerOptions

RELAY_USER, RELAY_PASSWORD = "mailer", "right-password"


@dataclass
class RelayHandler:
    """Records what arrives; `rcpt_replies[address]` is a list of replies used one per attempt."""

    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    received: list[tuple[str, bytes]] = field(default_factory=list)
    envelope_senders: dict[str, str] = field(default_factory=dict)  #: recipient → MAIL FROM of its last copy
    gate: threading.Event | None = None  #: when set up, DATA waits for it
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        with self.lock:
            replies = self.rcpt_replies.get(address)
            reply = (replies.pop(0) if len(replies) > 1 else replies[0]) if replies else "250 OK"
        if not reply.startswith("2"):
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.arrived.set()
        if self.gate is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 10)
        with self.changed:
            self.received.extend((rcpt, envelope.content) for rcpt in envelope.rcpt_tos)
            self.envelope_senders.update((rcpt, envelope.mail_from) for rcpt in envelope.rcpt_tos)
            self.changed.notify_all()
        return "250 2.0.0 OK"

    def wait_for(self, count: int, timeout: float = 10) -> bool:
        """Block (in a helper thread) until `count` recipients have been received."""
        with self.changed:
            return self.changed.wait_for(lambda: len(self.received) >= count, timeout)

    @property
    def recipients(self) -> list[str]:
        return [rcpt for rcpt, _ in self.received]


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    good = isinstance(data, LoginPassword) and (data.login, data.password) == (
        RELAY_USER.encode(),
        RELAY_PASSWORD.encode(),
    )
    return AuthResult(success=good, handled=False)


@dataclass
class Relay:
    handler: RelayHandler
    port: int

    def config(self, *, password: str = RELAY_PASSWORD) -> RelayConfig:
        return RelayConfig(
            host="127.0.0.1",
            port=self.port,
            name="test",
            username=RELAY_USER,
            password=password,
            timeout=5.0,
            connections=4,
        )


@pytest.fixture
def relay() -> Iterator[Relay]:
    yield from _running_relay()


@pytest.fixture
def other_relay() -> Iterator[Relay]:
    """A second relay, for pools of two."""
    yield from _running_relay()


@pytest.fixture
def utf8_relay() -> Iterator[Relay]:
    """A relay that offers SMTPUTF8 (RFC 6531), as aiosmtpd's controller does by default."""
    yield from _running_relay(enable_SMTPUTF8=True)


@pytest.fixture
def ascii_relay() -> Iterator[Relay]:
    """A relay that does not offer SMTPUTF8."""
    yield from _running_relay(enable_SMTPUTF8=False)


def _running_relay(**options: Any) -> Iterator[Relay]:
    handler = RelayHandler()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, authenticator=_authenticate, auth_require_tls=False, **options
    )
    controller.start()
    yield Relay(handler, port)
    if handler.gate is not None:
        handler.gate.set()
    controller.stop()


MakeWorker = Callable[..., Worker]


@pytest.fixture
async def make_worker(runtime: bootstrap.Runtime) -> Any:
    """`make_worker(relay_config, concurrency=4, batch_size=10)`: a worker sending through a real relay pool
    (of several relays when given a list of configs)."""
    services: list[SendingService] = []

    def make(
        config: RelayConfig | Sequence[RelayConfig],
        *,
        concurrency: int = 4,
        batch_size: int = 10,
        name: str = "worker-1",
    ) -> Worker:
        mailer = RelayMailer(RelayPool([config] if isinstance(config, RelayConfig) else config))
        sending = SendingService(
            runtime.store,
            runtime.services.clock,
            mailer,
            MimeComposer(),
            event_recorder=runtime.services.event_recorder,
            return_paths=runtime.services.return_paths,
            tracking_links=runtime.services.tracking.links if runtime.services.tracking else None,
            unsubscribe_links=runtime.services.unsubscribe.links,
        )
        services.append(sending)
        options = WorkerOptions(concurrency=concurrency, batch_size=batch_size, poll_seconds=0.05)
        return Worker(sending, runtime.services.scheduling, options, name=name)

    yield make
    for sending in services:
        await sending.close()
