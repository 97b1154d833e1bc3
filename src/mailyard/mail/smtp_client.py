"""A minimal, fast asyncio SMTP client for submitting mail to a relay.

One ``SmtpClient`` is one session: ``connect()`` (TCP or implicit TLS, greeting, EHLO or HELO, STARTTLS,
AUTH), then any number of ``send()`` calls on the same connection, then ``quit()``. It speaks only what a
submission client needs: RFC 5321 commands, STARTTLS (RFC 3207), AUTH PLAIN and LOGIN (RFC 4954, RFC 4616),
PIPELINING (RFC 2920) and SIZE (RFC 1870) when offered.

Errors come in two kinds. SMTP answers to a message are data: ``send`` returns a ``SendReply`` with the
reply to MAIL FROM, one reply per recipient and the replies to DATA and to the body. Faults raise: connection
problems ``SmtpConnectionError`` (a ConnectionError), timeouts ``SmtpTimeoutError`` (a TimeoutError), a
negative answer during session setup ``SmtpRefusedError`` and a missing required extension
``SmtpUnsupportedError``; each carries the ``SmtpStage`` it happened in. After a fault the client is closed
and must not be reused.

``send`` does not touch the message body: the caller passes it with CRLF line endings, dot-stuffed and
terminated by ``CRLF.CRLF`` (see ``to_smtp_data``), so that the one pass over the body happens once per
template, not once per message.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mailyard.domain.outcomes import SmtpReply, SmtpStage
from mailyard.mail.relays import RelayConfig
from mailyard.mail.smtp_connection import (
    SmtpConnection,
    SmtpConnectionError,
    SmtpError,
    SmtpRefusedError,
    SmtpTimeoutError,
    SmtpUnsupportedError,
    SmtpUtf8Unsupported,
)

__all__ = [
    "SendReply",
    "SmtpClient",
    "SmtpConnectionError",
    "SmtpError",
    "SmtpRefusedError",
    "SmtpTimeoutError",
    "SmtpUnsupportedError",
    "SmtpUtf8Unsupported",
    "to_smtp_data",
]

_END_OF_DATA = b"\r\n.\r\n"


@dataclass(frozen=True, slots=True)
class SendReply:
    """The server's answers to one message.

    ``recipients`` pairs each recipient with its RCPT TO reply, in the order given; it is empty when MAIL FROM
    was refused without PIPELINING, since no RCPT TO was sent then. ``data`` answers the DATA command (354
    when the body was sent) and ``final`` the body; either is None when not reached (MAIL FROM refused, or no
    recipient accepted).
    """

    mail: SmtpReply
    recipients: tuple[tuple[str, SmtpReply], ...]
    data: SmtpReply | None
    final: SmtpReply | None

    @property
    def accepted(self) -> list[str]:
        """Recipients the server took the message for."""
        if self.final is None or self.final.code // 100 != 2:
            return []
        return [address for address, reply in self.recipients if reply.code // 100 == 2]


def to_smtp_data(message: bytes) -> bytes:
    """Prepare a message for ``SmtpClient.send``: CRLF line endings, dot-stuffing, the final ``CRLF.CRLF``.

    RFC 5321 section 4.5.2: a line starting with "." gets one more. Meant to run once per template.
    """
    text = message.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    if text.startswith(b"."):
        text = b"." + text
    text = text.replace(b"\r\n.", b"\r\n..")
    if not text.endswith(b"\r\n"):
        text += b"\r\n"
    return text + b".\r\n"


class SmtpClient:
    """One SMTP session to one relay. Not safe for concurrent use: one message at a time."""

    def __init__(self, relay: RelayConfig, *, ssl_context: ssl.SSLContext | None = None) -> None:
        """``ssl_context`` overrides the one built from ``relay.verify`` (e.g. one trusting a private CA)."""
        self.relay = relay
        self._ssl_context = ssl_context
        self._connection: SmtpConnection | None = None
        self._extensions: dict[str, str] = {}
        self._transaction_open = False

    @property
    def extensions(self) -> Mapping[str, str]:
        """EHLO keywords (upper case) and their parameters; empty after HELO."""
        return self._extensions

    @property
    def is_usable(self) -> bool:
        """True when the session can take another message right now."""
        connection = self._connection
        return connection is not None and connection.is_open and not connection.has_unread_replies

    async def connect(self) -> None:
        """Open the session: connect, greeting, EHLO (HELO fallback), STARTTLS and AUTH as configured."""
        try:
            await self._open()
            await self._expect(SmtpStage.CONNECT, 220)
            await self._hello()
            if self.relay.starttls:
                await self._starttls()
            if self.relay.username is not None:
                await self._authenticate(self.relay.username, self.relay.password or "")
        except BaseException:
            self.abort()
            raise

    async def send(
        self, envelope_from: str, recipients: Sequence[str], data: bytes, *, mail_options: Sequence[str] = ()
    ) -> SendReply:
        """Send one message; ``data`` must be dot-stuffed and end with CRLF.CRLF (see ``to_smtp_data``).

        ``mail_options`` are extra MAIL FROM parameters such as ``BODY=8BITMIME``; SIZE is added when offered.
        """
        if not recipients:
            raise ValueError("a message needs at least one recipient")
        if not data.endswith(_END_OF_DATA):
            raise ValueError("data must be dot-stuffed and end with CRLF.CRLF; see to_smtp_data()")
        if any("\r" in value or "\n" in value for value in (envelope_from, *recipients, *mail_options)):
            # A line break would end the command early and let the rest pass for a command of its own.
            raise ValueError("line breaks are not allowed in addresses or MAIL FROM parameters")
        mail_options = [*mail_options, *self._utf8_options(envelope_from, recipients)]
        try:
            return await self._transaction(envelope_from, recipients, data, mail_options)
        except BaseException:
            # A fault or a cancellation leaves replies in flight: the session cannot be trusted any more.
            self.abort()
            raise

    def _utf8_options(self, envelope_from: str, recipients: Sequence[str]) -> list[str]:
        """SMTPUTF8 (with 8BITMIME when offered) for a message whose envelope is not ASCII (RFC 6531 3.4)."""
        if envelope_from.isascii() and all(address.isascii() for address in recipients):
            return []
        if "SMTPUTF8" not in self._extensions:
            raise SmtpUtf8Unsupported(
                "the relay does not offer SMTPUTF8, needed for an address that is not ASCII", SmtpStage.MAIL
            )
        return ["SMTPUTF8", "BODY=8BITMIME"] if "8BITMIME" in self._extensions else ["SMTPUTF8"]

    async def reset(self) -> SmtpReply:
        """Abort any open transaction with RSET (RFC 5321 4.1.1.5)."""
        replies = await self._command([b"RSET\r\n"], SmtpStage.MAIL)
        self._transaction_open = False
        return replies[0]

    async def quit(self) -> None:
        """End the session politely; faults while quitting are ignored since the session is over anyway."""
        if self._connection is None:
            return
        try:
            if self._connection.is_open:
                await self._command([b"QUIT\r\n"], SmtpStage.QUIT)
        except SmtpError:
            pass
        finally:
            self.abort()

    def abort(self) -> None:
        """Drop the connection at once."""
        if self._connection is not None:
            self._connection.abort()

    async def __aenter__(self) -> SmtpClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.quit()

    # -- session setup -----------------------------------------------------------------------------

    async def _open(self) -> None:
        relay = self.relay
        context = self._tls_context() if relay.implicit_tls else None
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(relay.timeout):
                _, self._connection = await loop.create_connection(
                    SmtpConnection,
                    relay.host,
                    relay.port,
                    ssl=context,
                    server_hostname=relay.host if context else None,
                    ssl_handshake_timeout=relay.timeout if context else None,
                )
        except TimeoutError:
            raise SmtpTimeoutError(f"no connection within {relay.timeout:g} s", SmtpStage.CONNECT) from None
        except OSError as error:  # refused, unreachable, DNS, TLS (ssl.SSLError is an OSError)
            raise SmtpConnectionError(f"cannot connect: {error}", SmtpStage.CONNECT) from error

    async def _hello(self) -> None:
        """EHLO, falling back to HELO when EHLO is refused (RFC 5321 4.1.4)."""
        name = self.relay.helo or self._address_literal()
        (reply,) = await self._command([f"EHLO {name}\r\n".encode()], SmtpStage.HELLO)
        if reply.code == 250:
            self._extensions = _parse_extensions(reply.text)
            return
        if reply.code == 421:
            raise SmtpRefusedError(SmtpStage.HELLO, reply)
        self._extensions = {}
        (reply,) = await self._command([f"HELO {name}\r\n".encode()], SmtpStage.HELLO)
        if reply.code != 250:
            raise SmtpRefusedError(SmtpStage.HELLO, reply)

    async def _starttls(self) -> None:
        if "STARTTLS" not in self._extensions:
            raise SmtpUnsupportedError("the relay does not offer STARTTLS", SmtpStage.STARTTLS)
        (reply,) = await self._command([b"STARTTLS\r\n"], SmtpStage.STARTTLS)
        if reply.code != 220:
            raise SmtpRefusedError(SmtpStage.STARTTLS, reply)
        assert self._connection is not None
        try:
            await self._connection.start_tls(self._tls_context(), self.relay.host, self.relay.timeout)
        except TimeoutError:
            raise SmtpTimeoutError("TLS handshake timed out", SmtpStage.STARTTLS) from None
        except OSError as error:
            if isinstance(error, SmtpError):
                raise
            raise SmtpConnectionError(f"TLS handshake failed: {error}", SmtpStage.STARTTLS) from error
        # RFC 3207 section 4.2: forget everything learned before TLS and say EHLO again.
        await self._hello()

    async def _authenticate(self, username: str, password: str) -> None:
        """AUTH PLAIN with an initial response, else AUTH LOGIN (RFC 4954, RFC 4616)."""
        mechanisms = self._extensions.get("AUTH", "").upper().split()
        if "PLAIN" in mechanisms:
            token = _b64(f"\0{username}\0{password}")
            (reply,) = await self._command([b"AUTH PLAIN " + token + b"\r\n"], SmtpStage.AUTH)
        elif "LOGIN" in mechanisms:
            reply = await self._login(username, password)
        else:
            raise SmtpUnsupportedError("the relay offers neither AUTH PLAIN nor AUTH LOGIN", SmtpStage.AUTH)
        if reply.code != 235:
            raise SmtpRefusedError(SmtpStage.AUTH, reply)

    async def _login(self, username: str, password: str) -> SmtpReply:
        (reply,) = await self._command([b"AUTH LOGIN\r\n"], SmtpStage.AUTH)
        for secret in (username, password):
            if reply.code != 334:
                return reply
            (reply,) = await self._command([_b64(secret) + b"\r\n"], SmtpStage.AUTH)
        return reply

    # -- mail transactions ---------------------------------------------------------------------------

    async def _transaction(
        self, envelope_from: str, recipients: Sequence[str], data: bytes, mail_options: Sequence[str]
    ) -> SendReply:
        commands = self._envelope_commands(envelope_from, recipients, len(data), mail_options)
        if "PIPELINING" in self._extensions:
            # RFC 2920 section 3.1: MAIL, RCPT and DATA go in one group; DATA is last, so one round trip.
            replies = await self._command(commands, SmtpStage.MAIL)
        else:
            replies = await self._one_by_one(commands)
        if self._transaction_open:
            replies = replies[1:]  # the RSET that closed the previous, unfinished transaction
        self._transaction_open = True
        count = len(recipients)
        mail, rcpt, data_reply = replies[0], replies[1 : 1 + count], _nth(replies, 1 + count)
        final = await self._body(data, data_reply, any(r.code // 100 == 2 for r in rcpt))
        # zip stops early on purpose: without PIPELINING a refused MAIL FROM means no RCPT TO was sent.
        return SendReply(mail, tuple(zip(recipients, rcpt, strict=False)), data_reply, final)

    def _envelope_commands(
        self, envelope_from: str, recipients: Sequence[str], size: int, mail_options: Sequence[str]
    ) -> list[bytes]:
        options = list(mail_options)
        if "SIZE" in self._extensions:
            options.append(f"SIZE={size}")  # RFC 1870: lets the relay refuse an oversized message up front
        parameters = "".join(" " + option for option in options)
        commands = [b"RSET\r\n"] if self._transaction_open else []
        commands.append(f"MAIL FROM:<{envelope_from}>{parameters}\r\n".encode())
        commands.extend(f"RCPT TO:<{address}>\r\n".encode() for address in recipients)
        commands.append(b"DATA\r\n")
        return commands

    async def _one_by_one(self, commands: list[bytes]) -> list[SmtpReply]:
        """Without PIPELINING: one command, one reply; stop before DATA when nothing was accepted."""
        replies: list[SmtpReply] = []
        skip = 1 if self._transaction_open else 0
        for index, command in enumerate(commands):
            is_data = index == len(commands) - 1
            stage = SmtpStage.DATA if is_data else (SmtpStage.MAIL if index <= skip else SmtpStage.RCPT)
            if is_data and not any(r.code // 100 == 2 for r in replies[skip + 1 :]):
                break
            replies.extend(await self._command([command], stage))
            if replies[-1].code == 421 or (index == skip and replies[-1].code // 100 != 2):
                break  # the server is closing, or MAIL FROM was refused and RCPT would only earn 503s
        return replies

    async def _body(self, data: bytes, data_reply: SmtpReply | None, any_accepted: bool) -> SmtpReply | None:
        """Send the body after a 354 (RFC 5321 4.1.1.4) and return the reply after the dot."""
        if data_reply is None or data_reply.code != 354:
            return None
        assert self._connection is not None
        # RFC 2920 section 3.1: DATA accepted with no valid recipient; the body must still end with the dot.
        self._connection.write(data if any_accepted else b".\r\n", SmtpStage.MESSAGE)
        (final,) = await self._connection.read(1, SmtpStage.MESSAGE, self.relay.timeout)
        self._transaction_open = False
        return final if any_accepted else None

    # -- plumbing ------------------------------------------------------------------------------------------

    async def _command(self, commands: list[bytes], stage: SmtpStage) -> list[SmtpReply]:
        """Write commands in one segment and read one reply per command."""
        if self._connection is None:
            raise SmtpConnectionError("not connected", stage)
        self._connection.write(b"".join(commands), stage)
        return await self._connection.read(len(commands), stage, self.relay.timeout)

    async def _expect(self, stage: SmtpStage, code: int) -> SmtpReply:
        assert self._connection is not None
        (reply,) = await self._connection.read(1, stage, self.relay.timeout)
        if reply.code != code:
            raise SmtpRefusedError(stage, reply)
        return reply

    def _tls_context(self) -> ssl.SSLContext:
        if self._ssl_context is not None:
            return self._ssl_context
        context = ssl.create_default_context()
        if not self.relay.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _address_literal(self) -> str:
        """Our address as an EHLO argument (RFC 5321 4.1.3), avoiding a DNS lookup per connection."""
        assert self._connection is not None and self._connection.transport is not None
        sockname = self._connection.transport.get_extra_info("sockname")
        address = str(sockname[0]) if sockname else "127.0.0.1"
        return f"[IPv6:{address}]" if ":" in address else f"[{address}]"


def _parse_extensions(text: str) -> dict[str, str]:
    """EHLO reply lines after the first are ``KEYWORD [params]`` (RFC 5321 4.1.1.1)."""
    extensions: dict[str, str] = {}
    for line in text.split("\n")[1:]:
        keyword, _, parameters = line.strip().partition(" ")
        if keyword:
            extensions[keyword.upper()] = parameters.strip()
    # Some servers still announce "AUTH=LOGIN" (pre-RFC 4954 syntax).
    if "AUTH" not in extensions:
        for keyword, parameters in list(extensions.items()):
            if keyword.startswith("AUTH="):
                extensions["AUTH"] = f"{keyword[5:]} {parameters}".strip()
    return extensions


def _b64(text: str) -> bytes:
    return base64.b64encode(text.encode("utf-8"))


def _nth(replies: list[SmtpReply], index: int) -> SmtpReply | None:
    return replies[index] if index < len(replies) else None
