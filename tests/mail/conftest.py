"""A real SMTP server (aiosmtpd) with fault injection, and TLS material made on the fly, for the SMTP tests.

The server runs in aiosmtpd's Controller thread; the handler wakes the test's event loop thread-safely, so
tests wait on conditions ("two messages arrived") instead of sleeping.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mailyard.mail.relays import RelayConfig

USER, PASSWORD = "mailer", "s3cret:p@ss"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    mail_options: list[str]


@dataclass
class FaultyHandler:
    """aiosmtpd handler that records what arrives and answers as a test tells it to."""

    loop: asyncio.AbstractEventLoop
    pipelining: bool = True
    extra_ehlo: list[str] = field(default_factory=list)
    refuse_ehlo: bool = False
    greeting: str | None = None  # e.g. "421 4.3.2 busy": said instead of 220, then the server hangs up
    mail_reply: str | None = None
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None
    drop_on_data: bool = False
    hang_up_after_message: bool = False
    connections: int = 0
    helos: list[str] = field(default_factory=list)
    quits: int = 0
    messages: list[Received] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def notify(self) -> None:
        self.loop.call_soon_threadsafe(self._changed.set)

    async def until(self, condition: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until ``condition()`` holds; the handler re-checks it after every server event."""
        async with asyncio.timeout(within):
            while not condition():
                self._changed.clear()
                if condition():
                    return
                await self._changed.wait()

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]):
        self.helos.append(hostname)
        self.notify()
        if self.refuse_ehlo:
            return ["502 5.5.1 EHLO not implemented"]
        session.host_name = hostname  # the 5-argument hook takes over this part of aiosmtpd's EHLO
        lines = responses[:-1] + (["250-PIPELINING"] if self.pipelining else []) + self.extra_ehlo
        lines = [line.replace("250 ", "250-", 1) for line in lines]
        return [*lines, "250 HELP"]

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]):
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]):
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.drop_on_data:
            server.transport.abort()
            self.notify()
            return "250 OK (never sent)"
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, envelope.mail_options)
        self.messages.append(received)
        self.notify()
        if self.hang_up_after_message:
            # Runs after aiosmtpd has written the reply: the client sees "250" and then the end of the stream.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return self.data_reply or "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        self.quits += 1
        self.notify()
        return "221 Bye"


class _FaultySMTP(SMTP):  # type: ignore[misc]
    """Counts TCP connections and can greet with a refusal."""

    _greeted_with_refusal = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        handler: FaultyHandler = self.event_handler
        first = self.transport is None
        if first:
            handler.connections += 1
            handler.notify()
        if first and handler.greeting:
            self._greeted_with_refusal = True
            transport.write(handler.greeting.encode() + b"\r\n")  # type: ignore[attr-defined]
            transport.close()
            return
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if not self._greeted_with_refusal:
            super().connection_lost(error)


class _FaultyController(Controller):  # type: ignore[misc]
    def factory(self) -> SMTP:
        return _FaultySMTP(self.handler, **self.SMTP_kwargs)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    good = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=good, handled=False)  # handled=False: aiosmtpd answers 535 itself


@dataclass
class SmtpServer:
    handler: FaultyHandler
    port: int

    def relay(self, **changes: Any) -> RelayConfig:
        values: dict[str, Any] = {"host": "127.0.0.1", "port": self.port, "name": "test", "timeout": 5.0}
        values.update(changes)
        return RelayConfig(**values)


StartServer = Callable[..., SmtpServer]


@pytest.fixture
async def start_server() -> AsyncIterator[StartServer]:
    """``start_server(pipelining=False, tls_context=...)``: FaultyHandler fields and aiosmtpd SMTP options."""
    controllers: list[Controller] = []
    loop = asyncio.get_running_loop()

    def start(**options: Any) -> SmtpServer:
        handler_fields = {k: options.pop(k) for k in list(options) if k in FaultyHandler.__dataclass_fields__}
        handler = FaultyHandler(loop=loop, **handler_fields)
        port = free_port()
        controller = _FaultyController(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        handler.connections = 0  # start() made one connection of its own to check the server is up
        return SmtpServer(handler, port)

    yield start
    for controller in controllers:
        controller.stop()


@dataclass(frozen=True)
class TlsMaterial:
    server: ssl.SSLContext
    client: ssl.SSLContext  # trusts the self-signed certificate


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    """A self-signed certificate for 127.0.0.1 and localhost."""
    directory = tmp_path_factory.mktemp("tls")
    cert_path, key_path = _self_signed(directory)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return TlsMaterial(server=server, client=client)


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    alternative_names = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(alternative_names, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port nobody listens on."""
    yield free_port()


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str
    authenticate: Callable[..., AuthResult]


@pytest.fixture
def credentials() -> Credentials:
    """The one account the test server's ``authenticate`` accepts."""
    return Credentials(USER, PASSWORD, authenticate)
