"""One SMTP server session as an asyncio `BufferedProtocol`: commands and the message body read from one buffer.

Both SMTP doors (submission and inbound) are served by it. Why not aiosmtpd's own server, whose hook names
and data classes are kept: measured with Postfix's `smtp-source -d -s 16` on the development machine, aiosmtpd
caps near 0.14 of `smtp-sink` even with a handler that does nothing, and in the submission listener it cost
about 1.9 ms of the 2.4 ms of CPU a message took (docs/performance.md): it reads DATA one line at a time
through a StreamReader capped at a line's length. Here the body is found with one search for CRLF "." CRLF over
what arrived, commands (pipelined or not, RFC 2920) are split out of the same buffer, and replies are written
straight to the transport.

The handler (a door) is called with aiosmtpd's hook names and data classes (`Session`, `Envelope`,
`AuthResult`): `handle_AUTH`, `auth_PLAIN`/`auth_LOGIN`, `handle_MAIL`, `handle_RCPT`, `handle_DATA`; a missing
hook accepts. AUTH is offered only by a door that has `auth_PLAIN` (the inbound door has none).
"""

from __future__ import annotations

import asyncio
import binascii
import logging
import ssl
from base64 import b64decode, b64encode
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiosmtpd.smtp import MISSING, AuthResult, Envelope, Session

_log = logging.getLogger("mailyard.smtpd")
MAX_LINE = 1000  #: RFC 5321 section 4.5.3.1.6, CRLF included
_END_OF_DATA = b"\r\n.\r\n"
_READ_AHEAD = 64 * 1024  #: bytes read beyond a whole message before reading pauses until they are answered
# What one read of the socket may bring. The transport reads into this session's own area (a BufferedProtocol):
# a plain Protocol gets a new bytes object of asyncio's 256 KiB for every read, which the allocator serves
# with a fresh memory mapping each time, costing more than the read itself.
_READ_SIZE = 32 * 1024


class DoorEnvelope(Envelope):
    """aiosmtpd's Envelope, plus what a door keeps of the message between its commands (the submission door:
    the recipients it checked at RCPT, so DATA does not check them again)."""

    def __init__(self) -> None:
        super().__init__()
        self.door_data: Any = None


class SmtpSession(asyncio.BufferedProtocol):
    """Serves one connection; `options` is the listener's ListenerOptions, `sessions` its open-session count."""

    def __init__(self, handler: Any, options: Any, sessions: Any, *, implicit_tls: bool) -> None:
        self._handler = handler
        self._options = options
        self._sessions = sessions
        self._implicit_tls = implicit_tls
        self.transport: asyncio.Transport | None = None
        self.session: Session | None = None
        self.envelope = DoorEnvelope()
        self._buffer = bytearray()
        self._read_area = memoryview(bytearray(_READ_SIZE))
        self._arrived: asyncio.Future[None] | None = None  # what _more waits on; resolved by the transport
        self._closed = False  # nothing more is read or written
        self._eof = False  # the client sent everything it will send; what it sent is still answered
        self._counted = False
        self._paused = False
        self._serving: asyncio.Task[None] | None = None
        self._idle: asyncio.TimerHandle | None = None
        self._active_at = 0.0  # the loop's time of the client's last bytes
        self._hostname = options.hostname or "localhost"
        self._commands: dict[str, Callable[[str], Awaitable[bool]]] = {
            "EHLO": self._ehlo,
            "HELO": self._helo,
            "STARTTLS": self._starttls,
            "AUTH": self._auth,
            "MAIL": self._mail,
            "RCPT": self._rcpt,
            "DATA": self._data,
            "RSET": self._rset,
            "NOOP": self._noop,
            "VRFY": self._vrfy,
            "QUIT": self._quit,
        }

    # ---- the transport's events --------------------------------------------------------------------------

    def connection_made(self, base: asyncio.BaseTransport) -> None:
        # A stream transport of whichever loop runs the server (uvloop's do not derive from asyncio.Transport).
        transport = cast(asyncio.Transport, base)
        if self.transport is not None:  # the TLS transport after STARTTLS: the session goes on
            self.transport = transport
            return
        self.transport = transport
        if self._sessions.open >= self._sessions.limit:
            transport.write(b"421 4.7.0 Too many connections; try again later\r\n")
            transport.close()
            self._closed = True
            return
        self._sessions.open += 1
        self._counted = True
        loop = asyncio.get_running_loop()
        self.session = Session(loop)
        self.session.peer = transport.get_extra_info("peername")
        self._serving = loop.create_task(self._serve(), name="mailyard-smtp-session")
        self._active_at = loop.time()
        self._idle = loop.call_at(self._active_at + self._options.timeout_seconds, self._check_idle)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._read_area

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(self._read_area[:nbytes])

    def data_received(self, data: bytes | memoryview) -> None:
        if self._closed:
            return
        self._buffer += data
        self._active_at = self._loop_time()
        if len(self._buffer) > self._options.max_message_bytes + _READ_AHEAD and self.transport is not None:
            self.transport.pause_reading()  # the client sends faster than its commands are answered
            self._paused = True
        self._wake()

    def eof_received(self) -> bool | None:
        self._eof = True
        self._wake()
        return True  # keep the transport open: the commands already received are answered first

    def connection_lost(self, error: Exception | None) -> None:
        self._finish()
        if self._counted:
            self._counted = False
            self._sessions.open -= 1

    # ---- what handlers call ------------------------------------------------------------------------------

    async def push(self, status: bytes | str) -> None:
        text = status.decode("utf-8", "replace") if isinstance(status, bytes) else status
        self._write(text)

    async def challenge_auth(self, challenge: bytes | str) -> Any:
        """Send a 334 challenge; the decoded answer, or MISSING once a 501 has been sent."""
        raw = challenge.encode() if isinstance(challenge, str) else challenge
        self._write("334 " + b64encode(raw).decode())
        line = await self._line()
        if line is None:
            return MISSING
        if line == b"*":
            self._write("501 5.7.0 Authentication aborted")
            return MISSING
        try:
            return b64decode(line, validate=True)
        except (binascii.Error, ValueError):
            self._write("501 5.5.2 Cannot decode the answer")
            return MISSING

    # ---- the conversation --------------------------------------------------------------------------------

    async def _serve(self) -> None:
        self._write(f"220 {self._hostname} Mailyard ESMTP")
        commands = self._commands
        try:
            while (line := await self._line()) is not None:
                name, _, argument = line.partition(b" ")
                try:
                    command = name.decode("ascii").upper()
                    text = argument.decode("utf-8" if self._options.smtputf8 else "ascii", "surrogateescape")
                except UnicodeDecodeError:
                    self._write("500 5.5.2 Command not recognised")
                    continue
                run = commands.get(command)
                if run is None:
                    self._write("500 5.5.2 Command not recognised")
                elif not await run(text.strip()):
                    break
        except Exception as error:  # never a traceback on the wire; the session ends with a local error
            _log.error("SMTP session failed", exc_info=error)
            self._write("451 4.3.0 Local error; try again later")
        finally:
            self._close()

    async def _line(self) -> bytes | None:
        """The next command line without its line ending; None when the client went away. A line longer
        than RFC 5321 allows is answered 500 and dropped."""
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._buffer[:end]).rstrip(b"\r")
                del self._buffer[: end + 1]
                if end + 1 > MAX_LINE:
                    self._write("500 5.5.2 Line too long")
                    continue
                return line
            if len(self._buffer) > MAX_LINE:  # keep reading to the line's end, without keeping it
                del self._buffer[:]
                self._write("500 5.5.2 Line too long")
                await self._skip_to_line_end()
                continue
            if not await self._more():
                return None

    async def _skip_to_line_end(self) -> None:
        while (end := self._buffer.find(b"\n")) < 0:
            del self._buffer[:]
            if not await self._more():
                return
        del self._buffer[: end + 1]

    async def _more(self) -> bool:
        """Wait for more bytes; False once the connection is closed."""
        if self._closed or self._eof or self.session is None:
            return False
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        self._arrived = arrived = self.session.loop.create_future()
        try:
            await arrived
        finally:
            self._arrived = None
        return not (self._closed or self._eof) or bool(self._buffer)

    def _wake(self) -> None:
        """Resume the session's task if it waits for bytes."""
        arrived = self._arrived
        if arrived is not None and not arrived.done():
            arrived.set_result(None)

    async def _hook(self, name: str, *arguments: Any) -> Any:
        hook = getattr(self._handler, f"handle_{name}", None)
        if hook is None:
            return MISSING
        return await hook(self, self.session, self.envelope, *arguments)

    # ---- commands (each returns False to end the session) ------------------------------------------------

    async def _ehlo(self, argument: str) -> bool:
        if not argument:
            self._write("501 5.5.4 Syntax: EHLO hostname")
            return True
        assert self.session is not None
        self.session.host_name, self.session.extended_smtp = argument, True
        self._reset()
        lines = [self._hostname, f"SIZE {self._options.max_message_bytes}", "8BITMIME", "PIPELINING"]
        lines += ["SMTPUTF8"] if self._options.smtputf8 else []
        lines += ["STARTTLS"] if self._options.tls is not None and not self.encrypted else []
        lines += ["AUTH PLAIN LOGIN"] if hasattr(self._handler, "auth_PLAIN") else []
        lines += ["ENHANCEDSTATUSCODES"]
        self._write("\r\n".join(f"250-{line}" for line in lines[:-1]) + f"\r\n250 {lines[-1]}")
        return True

    async def _helo(self, argument: str) -> bool:
        if not argument:
            self._write("501 5.5.4 Syntax: HELO hostname")
            return True
        assert self.session is not None
        self.session.host_name, self.session.extended_smtp = argument, False
        self._reset()
        self._write(f"250 {self._hostname}")
        return True

    async def _starttls(self, argument: str) -> bool:
        if self._options.tls is None or self.encrypted or self._implicit_tls:
            self._write("454 4.7.0 TLS not available")
            return True
        if argument:
            self._write("501 5.5.4 Syntax: STARTTLS")
            return True
        self._write("220 2.0.0 Ready to start TLS")
        del self._buffer[:]  # RFC 3207 section 4.2: nothing sent before the handshake counts
        assert self.transport is not None and self.session is not None
        loop = asyncio.get_running_loop()
        try:
            context: ssl.SSLContext = self._options.tls
            self.transport = await loop.start_tls(self.transport, self, context, server_side=True)
        except (OSError, ssl.SSLError, ConnectionError):
            return False
        self.session.host_name, self.session.extended_smtp = None, False
        self.session.authenticated, self.session.auth_data = False, None
        self._reset()
        return True

    async def _auth(self, argument: str) -> bool:
        assert self.session is not None
        if not self.session.host_name:
            self._write("503 5.5.1 Send EHLO first")
            return True
        if self.session.authenticated:
            self._write("503 5.5.1 Already authenticated")
            return True
        arguments = argument.split()
        if not arguments:
            self._write("501 5.5.4 Syntax: AUTH mechanism")
            return True
        status = await self._hook("AUTH", arguments)
        if status is not MISSING:
            self._write(str(status))
            return True
        mechanism = getattr(self._handler, f"auth_{arguments[0].upper()}", None)
        if mechanism is None:
            self._write("504 5.5.4 Unrecognised authentication type")
            return True
        result: AuthResult = await mechanism(self, arguments)
        if result.success:
            self.session.authenticated, self.session.auth_data = True, result.auth_data
            self._write(result.message or "235 2.7.0 Authentication successful")
        elif not result.handled:
            self._write(result.message or "535 5.7.8 Authentication credentials invalid")
        return True

    async def _mail(self, argument: str) -> bool:
        assert self.session is not None
        if not self.session.host_name:
            self._write("503 5.5.1 Send HELO or EHLO first")
            return True
        if self.envelope.mail_from is not None:
            self._write("503 5.5.1 Nested MAIL command")
            return True
        address, options = _path(argument, "FROM:")
        if address is None:
            self._write("501 5.5.4 Syntax: MAIL FROM:<address>")
            return True
        upper = [option.upper() for option in options]
        size = next((option[5:] for option in upper if option.startswith("SIZE=")), None)
        if size is not None and (not size.isdigit() or int(size) > self._options.max_message_bytes):
            self._write("552 5.3.4 Message too big for this server")
            return True
        if "SMTPUTF8" in upper and not self._options.smtputf8:
            self._write("555 5.5.4 SMTPUTF8 is not offered")
            return True
        self.envelope.smtp_utf8 = "SMTPUTF8" in upper
        status = await self._hook("MAIL", address, upper)
        if status is MISSING:
            self.envelope.mail_from = address
            self.envelope.mail_options.extend(upper)
            status = "250 2.1.0 OK"
        self._write(str(status))
        return True

    async def _rcpt(self, argument: str) -> bool:
        if self.envelope.mail_from is None:
            self._write("503 5.5.1 Need MAIL before RCPT")
            return True
        address, options = _path(argument, "TO:")
        if not address:
            self._write("501 5.5.4 Syntax: RCPT TO:<address>")
            return True
        status = await self._hook("RCPT", address, [option.upper() for option in options])
        if status is MISSING:
            self.envelope.rcpt_tos.append(address)
            status = "250 2.1.5 OK"
        self._write(str(status))
        return True

    async def _data(self, argument: str) -> bool:
        if not self.envelope.rcpt_tos:
            self._write("503 5.5.1 Need RCPT before DATA")
            return True
        if argument:
            self._write("501 5.5.4 Syntax: DATA")
            return True
        self._write("354 End data with <CR><LF>.<CR><LF>")
        found = await self._body()
        if found is None:
            return False
        content, too_big = found
        if too_big:
            self._write("552 5.3.4 Message too big for this server")
        else:
            self.envelope.original_content = self.envelope.content = content
            try:
                status = await self._hook("DATA")
            except Exception as error:  # a failing handler: logged, answered as a local error
                _log.error("SMTP session failed", exc_info=error)
                status = "451 4.3.0 Local error; try again later"
            self._write("250 2.0.0 OK" if status is MISSING else str(status))
        self._reset()
        return True

    async def _body(self) -> tuple[bytes, bool] | None:
        """The message up to CRLF "." CRLF, dot-unstuffed (RFC 5321 section 4.5.2), and whether it was over
        the size limit (then the rest is read and dropped); None when the client went away first."""
        limit = self._options.max_message_bytes
        searched, dropped = 0, False
        while True:
            if not dropped and self._buffer.startswith(b".\r\n"):  # an empty message
                del self._buffer[:3]
                return b"", False
            found = self._buffer.find(_END_OF_DATA, searched)
            if found >= 0:
                raw = bytes(self._buffer[: found + 2])
                del self._buffer[: found + len(_END_OF_DATA)]
                unstuffed = raw.replace(b"\r\n..", b"\r\n.")
                content = unstuffed[1:] if unstuffed.startswith(b"..") else unstuffed
                return content, dropped or len(content) > limit
            if len(self._buffer) > limit + 1024:  # too big: keep only the tail that may start the end
                dropped = True
                del self._buffer[: -len(_END_OF_DATA)]
            searched = max(len(self._buffer) - len(_END_OF_DATA) + 1, 0)
            if not await self._more():
                return None

    async def _rset(self, argument: str) -> bool:
        self._reset()
        self._write("250 2.0.0 OK")
        return True

    async def _noop(self, argument: str) -> bool:
        self._write("250 2.0.0 OK")
        return True

    async def _vrfy(self, argument: str) -> bool:
        self._write("252 2.5.2 Cannot verify the user, but will accept the message")
        return True

    async def _quit(self, argument: str) -> bool:
        self._write("221 2.0.0 Bye")
        return False

    # ---- plumbing ----------------------------------------------------------------------------------------

    @property
    def encrypted(self) -> bool:
        return self.transport is not None and self.transport.get_extra_info("sslcontext") is not None

    def _reset(self) -> None:
        self.envelope = DoorEnvelope()

    def _write(self, text: str) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(text.encode("utf-8", "replace") + b"\r\n")

    def _loop_time(self) -> float:
        return self.session.loop.time() if self.session is not None else 0.0

    def _check_idle(self) -> None:
        """One timer a session, moved on when it fires rather than at every read: the session is closed once
        the client has sent nothing for `timeout_seconds`."""
        if self._closed or self.session is None:
            return
        due = self._active_at + self._options.timeout_seconds
        if due > self.session.loop.time():
            self._idle = self.session.loop.call_at(due, self._check_idle)
            return
        self._write("421 4.4.2 Idle for too long; closing")
        self._close()

    def _finish(self) -> None:
        self._closed = True
        self._wake()

    def _close(self) -> None:
        self._finish()
        if self._idle is not None:
            self._idle.cancel()
        if self.transport is not None:
            self.transport.close()


def _path(argument: str, keyword: str) -> tuple[str | None, list[str]]:
    """`FROM:<address> OPTIONS` → the address (empty for `<>`) and the options; None when malformed."""
    if argument[: len(keyword)].upper() != keyword:
        return None, []
    rest = argument[len(keyword) :].strip()
    if rest.startswith("<"):
        end = rest.find(">")
        if end < 0:
            return None, []
        return rest[1:end].strip(), rest[end + 1 :].split()
    address, *options = rest.split() or [""]
    return (address or None), options
