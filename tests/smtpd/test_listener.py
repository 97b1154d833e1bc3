"""The listener rules every SMTP door shares: binding, the connection limit, idle timeouts, size limits and
errors inside a handler, with a do-nothing handler over aiosmtpd."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import socket
from pathlib import Path
from typing import Any

import pytest

from mailyard.smtpd.listener import (
    ListenerAddress,
    ListenerError,
    ListenerOptions,
    bound_port,
    start_listener,
    stop_listener,
)
from mailyard.system.certificates import CERTIFICATE_FILE, KEY_FILE, load_tls_identity

pytestmark = pytest.mark.timeout(30)


class Accepting:
    """Takes every message; DATA fails on purpose when the subject says so."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if b"Subject: explode" in envelope.original_content:
            raise RuntimeError("a bug in the handler")
        return "250 OK"


def test_addresses_parse() -> None:
    assert ListenerAddress.parse("off", explicit=True) is None
    parsed = ListenerAddress.parse("[::1]:2587", explicit=False)
    assert parsed is not None and (parsed.host, parsed.port, parsed.loopback) == ("::1", 2587, True)
    outside = ListenerAddress.parse("0.0.0.0:465", explicit=True)
    assert outside is not None and not outside.loopback
    with pytest.raises(ListenerError, match="HOST:PORT or off"):
        ListenerAddress.parse("localhost", explicit=True)


async def test_an_explicit_address_that_cannot_be_bound_stops_the_start_and_a_default_one_is_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        options = ListenerOptions(name="submission")
        with pytest.raises(ListenerError, match=f"cannot listen for submission on 127.0.0.1:{port}"):
            await start_listener(ListenerAddress(host="127.0.0.1", port=port, explicit=True), Accepting(), options)
        with caplog.at_level(logging.WARNING, logger="mailyard.smtpd"):
            skipped = await start_listener(
                ListenerAddress(host="127.0.0.1", port=port, explicit=False), Accepting(), options
            )
        assert skipped is None
        assert f"submission listener skipped: 127.0.0.1:{port} is not available" in caplog.text


async def serve(options: ListenerOptions) -> asyncio.Server:
    server = await start_listener(ListenerAddress(host="127.0.0.1", port=0, explicit=True), Accepting(), options)
    assert server is not None
    return server


async def test_connections_over_the_limit_get_421(tmp_path: Path) -> None:
    server = await serve(ListenerOptions(name="test", max_connections=2))
    port = bound_port(server)

    def greetings() -> list[bytes]:
        sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(3)]
        try:
            return [each.recv(200) for each in sockets]
        finally:
            for each in sockets:
                each.close()

    try:
        first, second, third = await asyncio.to_thread(greetings)
        assert first.startswith(b"220") and second.startswith(b"220")
        assert third.startswith(b"421 4.7.0")
        # Closed sessions free their places.
        assert (await asyncio.to_thread(greetings))[0].startswith(b"220")
    finally:
        await stop_listener(server)


async def test_an_idle_session_is_closed() -> None:
    server = await serve(ListenerOptions(name="test", timeout_seconds=0.5))

    def idle() -> bytes:
        with socket.create_connection(("127.0.0.1", bound_port(server)), timeout=10) as raw:
            received = b""
            while chunk := raw.recv(1024):  # ends when the server closes the session
                received += chunk
            return received

    try:
        assert (await asyncio.to_thread(idle)).startswith(b"220")
    finally:
        await stop_listener(server)


async def test_oversize_is_552_and_a_failing_handler_is_451_without_a_traceback() -> None:
    server = await serve(ListenerOptions(name="test", max_message_bytes=10_000))

    def attempts() -> list[tuple[int, bytes]]:
        with smtplib.SMTP("127.0.0.1", bound_port(server), timeout=10) as client:
            client.ehlo()
            replies = [client.mail("a@example.org", ["SIZE=20000"])]
            client.rset()
            for body in (b"Subject: big\r\n\r\n" + (b"x" * 70 + b"\r\n") * 300, b"Subject: explode\r\n\r\nboom"):
                client.mail("a@example.org")
                client.rcpt("b@example.org")
                try:
                    replies.append(client.data(body))
                except smtplib.SMTPDataError as error:
                    replies.append((error.smtp_code, error.smtp_error))
            return replies

    try:
        announced, sent, failing = await asyncio.to_thread(attempts)
        assert announced[0] == 552 and announced[1].startswith(b"5.3.4")
        assert sent[0] == 552 and sent[1].startswith(b"5.3.4")
        assert failing == (451, b"4.3.0 Local error; try again later")
    finally:
        await stop_listener(server)


async def test_implicit_tls_serves_the_generated_certificate(tmp_path: Path) -> None:
    identity = load_tls_identity(None, None, tmp_path)
    assert identity.generated and (tmp_path / CERTIFICATE_FILE).exists()
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o777 == 0o600
    again = load_tls_identity(None, None, tmp_path)
    assert not again.generated and again.fingerprint == identity.fingerprint  # kept across starts
    server = await serve(ListenerOptions(name="test", tls=identity.context, implicit_tls=True))

    def greet() -> int:
        import ssl

        context = ssl.create_default_context(cafile=str(identity.certificate))
        context.check_hostname = False
        with smtplib.SMTP_SSL("127.0.0.1", bound_port(server), timeout=10, context=context) as client:
            return client.noop()[0]

    try:
        assert await asyncio.to_thread(greet) == 250
    finally:
        await stop_listener(server)


async def test_pipelined_commands_and_a_message_in_one_write_are_answered_in_order() -> None:
    """PIPELINING (RFC 2920) is offered; a dot-stuffed body arrives unstuffed."""
    received: list[bytes] = []

    class Keeping(Accepting):
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope.original_content)
            return "250 kept"

    server = await start_listener(
        ListenerAddress(host="127.0.0.1", port=0, explicit=True), Keeping(), ListenerOptions(name="test")
    )
    assert server is not None

    def conversation() -> bytes:
        with socket.create_connection(("127.0.0.1", bound_port(server)), timeout=10) as raw:
            raw.sendall(
                b"EHLO client\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
                b"Subject: dots\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n"
            )
            answer = b""
            while chunk := raw.recv(65536):
                answer += chunk
            return answer

    try:
        answer = await asyncio.to_thread(conversation)
    finally:
        await stop_listener(server)
    assert b"250-PIPELINING\r\n" in answer
    codes = [line[:3] for line in answer.split(b"\r\n") if line and line[3:4] == b" "]
    assert codes == [b"220", b"250", b"250", b"250", b"354", b"250", b"221"]
    assert received == [b"Subject: dots\r\n\r\n.leading dot\r\n"]
