"""The inbound SMTP listener (aiosmtpd): takes bounces and complaints for this installation's return-path and
complaint addresses, and refuses every other recipient with 550, so it is never an open relay.

Limits: a message size (552 beyond it, from aiosmtpd), a number of recipients per message, a number of
connections at once (421 beyond it) and an idle timeout per connection. Whatever arrives, a failure is a
reply to the client and a log line, never a stopped listener; a message that cannot be recorded (database
unreachable) gets a 451 so the sender keeps it and tries again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from mailyard.domain.inbound import InboundMail
from mailyard.services.bounces import BounceService
from mailyard.smtpd.inbound.reports import read_report

log = logging.getLogger(__name__)
MAX_RECIPIENTS = 20


class InboundListenerError(OSError):
    """The listener could not start (the address cannot be bound)."""


@dataclass(frozen=True, kw_only=True)
class ListenerOptions:
    host: str
    port: int
    hostname: str  #: the name the listener greets with
    max_message_bytes: int = 10 * 1024 * 1024
    max_connections: int = 100
    timeout_seconds: float = 60.0


class InboundHandler:
    """aiosmtpd's handler: recipients checked at RCPT, messages handed to the bounce service at DATA."""

    def __init__(self, bounces: BounceService) -> None:
        self._bounces = bounces

    async def handle_RCPT(  # aiosmtpd's hook names
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            accepted = await self._bounces.accepts(address)
        except Exception:  # a database failure is the client's cue to try later, not a crash
            log.exception("inbound: cannot check recipient %r", address[:320])
            return "451 4.3.0 Temporary failure, try again later"
        if not accepted:
            return "550 5.1.1 No such mailbox here: this server only takes bounces and complaints"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode("utf-8", "replace")
        mail = InboundMail(
            mail_from=str(envelope.mail_from or ""),
            recipients=tuple(envelope.rcpt_tos),
            content=raw,
            report=read_report(raw),
        )
        try:
            await self._bounces.receive(mail)
        except Exception:  # the sender keeps the message and tries again: nothing is lost
            log.exception("inbound: cannot record a message from %r", mail.mail_from[:320])
            return "451 4.3.0 Temporary failure, try again later"
        return "250 2.0.0 OK"


class _LimitedSMTP(SMTP):
    """aiosmtpd's SMTP session that turns away connections beyond the listener's limit with a 421."""

    def __init__(self, handler: InboundHandler, options: ListenerOptions, active: list[int]) -> None:
        super().__init__(
            handler,
            data_size_limit=options.max_message_bytes,
            hostname=options.hostname,
            timeout=options.timeout_seconds,
            enable_SMTPUTF8=True,
        )
        self._active = active
        self._max_connections = options.max_connections
        self._counted = False

    def connection_made(self, transport: Any) -> None:
        if self._active[0] >= self._max_connections:
            transport.write(b"421 4.7.0 Too many connections, try again later\r\n")
            transport.close()
            return
        self._active[0] += 1
        self._counted = True
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if not self._counted:
            return  # turned away before aiosmtpd's session began
        self._active[0] -= 1
        self._counted = False
        super().connection_lost(error)


class InboundListener:
    def __init__(self, bounces: BounceService, options: ListenerOptions) -> None:
        self._handler = InboundHandler(bounces)
        self.options = options
        self._active = [0]  # connections open now, shared by the sessions
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when started on port 0)."""
        assert self._server is not None and self._server.sockets
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(
                lambda: _LimitedSMTP(self._handler, self.options, self._active), self.options.host, self.options.port
            )
        except OSError as error:
            where = f"{self.options.host}:{self.options.port}"
            raise InboundListenerError(f"the inbound SMTP listener cannot listen on {where}: {error}") from error
        log.info("inbound SMTP listener on %s:%d", self.options.host, self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
