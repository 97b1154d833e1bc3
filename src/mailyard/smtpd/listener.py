"""What every SMTP door of Mailyard shares: binding, limits, timeouts and TLS around a handler.

A door is a handler object with aiosmtpd's hook names, served by `session.SmtpSession` (our own asyncio
Protocol, lighter than aiosmtpd's server; see that module); `start_listener` serves it on one address:

    address = ListenerAddress.parse("127.0.0.1:2587", explicit=False)
    server = await start_listener(address, handler, ListenerOptions(name="submission", tls=identity.context))
    ...
    await stop_listener(server)

Rules every door gets:
- an address the user set explicitly that cannot be bound stops the start with a `ListenerError` naming it;
  the default address, when its port is taken, is skipped with a warning (`start_listener` returns None);
- a message larger than `max_message_bytes` is refused with 552 5.3.4 (also when announced with SIZE);
- at most `max_connections` sessions at once, the next ones get 421 4.7.0 and are closed;
- a session idle for `timeout_seconds` is closed; a command line is at most 1,000 bytes (RFC 5321);
- whatever a client sends, the server never crashes and never shows a traceback: an exception in the
  handler is logged and answered with 451 4.3.0;
- STARTTLS is offered when `tls` is given; with `implicit_tls` the whole session is TLS (RFC 8314, port 465);
- SMTPUTF8 is offered when `smtputf8` is set; the door still checks each address against the session's MAIL.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
from dataclasses import dataclass

from mailyard.smtpd.session import SmtpSession

_log = logging.getLogger("mailyard.smtpd")


class ListenerError(RuntimeError):
    """A listener the user asked for cannot be started."""


@dataclass(frozen=True, kw_only=True)
class ListenerAddress:
    host: str
    port: int
    explicit: bool  #: set by the user (a failure to bind stops the start) rather than the default

    @classmethod
    def parse(cls, text: str, *, explicit: bool, setting: str = "address") -> ListenerAddress | None:
        """`HOST:PORT` (`[::1]:2587` for IPv6), or None for `off`; ListenerError when malformed."""
        cleaned = text.strip()
        if cleaned.lower() in ("off", ""):
            return None
        host, separator, port = cleaned.rpartition(":")
        host = host.strip("[]")
        if not separator or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ListenerError(f"{setting} must be HOST:PORT or off, not {text!r}")
        return cls(host=host, port=int(port), explicit=explicit)

    @property
    def loopback(self) -> bool:
        """True when only this machine can connect (a client there may sign in without TLS)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True, kw_only=True)
class ListenerOptions:
    name: str  #: the door's name in logs and errors ("submission", "inbound")
    tls: ssl.SSLContext | None = None  #: offered with STARTTLS, or for the whole session with implicit_tls
    implicit_tls: bool = False
    hostname: str | None = None  #: the name in the greeting; the machine's name by default
    max_message_bytes: int = 4 * 1024 * 1024
    max_connections: int = 200
    timeout_seconds: float = 300.0  #: RFC 5321 section 4.5.3.2 suggests 5 minutes
    smtputf8: bool = False  #: offer SMTPUTF8 (RFC 6531): UTF-8 addresses and headers from clients that use it


def is_encrypted(server: SmtpSession) -> bool:
    """True when the session runs over TLS, by STARTTLS or from the start."""
    return server.encrypted


def client_address(server: SmtpSession) -> str:
    peer = server.session.peer if server.session is not None else None
    return str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"


class _Sessions:
    """How many sessions one listener has open."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0


async def start_listener(address: ListenerAddress, handler: object, options: ListenerOptions) -> asyncio.Server | None:
    """Serve `handler` on `address`; None (with a warning) when a default address cannot be bound."""
    if options.implicit_tls and options.tls is None:
        raise ListenerError(f"the {options.name} listener on {address} needs a TLS certificate for implicit TLS")
    sessions = _Sessions(options.max_connections)
    loop = asyncio.get_running_loop()
    try:
        server = await loop.create_server(
            lambda: SmtpSession(handler, options, sessions, implicit_tls=options.implicit_tls),
            host=address.host,
            port=address.port,
            ssl=options.tls if options.implicit_tls else None,
        )
    except OSError as error:
        reason = error.strerror or str(error)
        if address.explicit:
            raise ListenerError(f"cannot listen for {options.name} on {address}: {reason}") from error
        _log.warning("%s listener skipped: %s is not available (%s)", options.name, address, reason)
        return None
    _log.info("%s listening on %s%s", options.name, address, " (implicit TLS)" if options.implicit_tls else "")
    return server


def bound_port(server: asyncio.Server) -> int:
    """The port a listener got (useful when it asked for port 0)."""
    return int(server.sockets[0].getsockname()[1])


async def stop_listener(server: asyncio.Server) -> None:
    server.close()
    await server.wait_closed()
