"""SmtpClient against a real aiosmtpd server: commands, pipelining, TLS, AUTH, replies as data, faults."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult

from mailyard.domain.outcomes import SmtpReply, SmtpStage
from mailyard.mail.relays import RelayConfig
from mailyard.mail.smtp_client import (
    SmtpClient,
    SmtpConnectionError,
    SmtpRefusedError,
    SmtpTimeoutError,
    SmtpUnsupportedError,
    SmtpUtf8Unsupported,
    to_smtp_data,
)
from mailyard.mail.smtp_connection import SmtpConnection

# Fixtures from conftest.py: start_server(**options) -> server with .handler and .relay(**changes),
# tls (.server / .client SSL contexts), credentials (.user, .password, .authenticate), closed_port.
StartServer = Any
TlsMaterial = Any

MESSAGE = (
    b"From: sender@example.com\r\nTo: rcpt@example.org\r\nSubject: dots\r\n\r\n"
    b".leading dot\r\n..two dots\r\n.\r\nmiddle\r\n. space\r\nlast line"
)


def test_to_smtp_data_stuffs_dots_and_normalizes_line_endings() -> None:
    assert to_smtp_data(b".a\nb\r\n.\rc") == b"..a\r\nb\r\n..\r\nc\r\n.\r\n"
    assert to_smtp_data(b"ends with newline\r\n") == b"ends with newline\r\n.\r\n"
    assert to_smtp_data(b"") == b"\r\n.\r\n"


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one-by-one"])
async def test_delivered_bytes_equal_the_message(start_server: StartServer, pipelining: bool) -> None:
    server = start_server(pipelining=pipelining)
    async with SmtpClient(server.relay()) as client:
        assert ("PIPELINING" in client.extensions) is pipelining
        reply = await client.send("sender@example.com", ["rcpt@example.org"], to_smtp_data(MESSAGE))
    assert reply.mail.code == 250 and reply.final is not None and reply.final.code == 250
    assert reply.data is not None and reply.data.code == 354
    assert reply.accepted == ["rcpt@example.org"]
    [received] = server.handler.messages
    assert received.mail_from == "sender@example.com" and received.rcpt_tos == ["rcpt@example.org"]
    assert received.content == MESSAGE + b"\r\n"


async def test_messages_reuse_one_connection(start_server: StartServer) -> None:
    server = start_server()
    async with SmtpClient(server.relay()) as client:
        for number in range(5):
            data = to_smtp_data(b"Subject: %d\r\n\r\nbody" % number)
            reply = await client.send("s@example.com", [f"r{number}@example.org"], data)
            assert reply.accepted == [f"r{number}@example.org"]
    await server.handler.until(lambda: server.handler.quits == 1)
    assert server.handler.connections == 1
    assert [m.rcpt_tos for m in server.handler.messages] == [[f"r{n}@example.org"] for n in range(5)]


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one-by-one"])
async def test_per_recipient_replies(start_server: StartServer, pipelining: bool) -> None:
    refusal = "550-5.1.1 The email account that you tried to reach does not exist.\r\n550 5.1.1 Check it."
    server = start_server(
        pipelining=pipelining,
        rcpt_replies={"gone@example.org": refusal, "later@example.org": "451 4.3.0 try again"},
    )
    recipients = ["ok@example.org", "gone@example.org", "later@example.org"]
    async with SmtpClient(server.relay()) as client:
        reply = await client.send("s@example.com", recipients, to_smtp_data(b"hi"))
    codes = {address: rcpt.code for address, rcpt in reply.recipients}
    assert codes == {"ok@example.org": 250, "gone@example.org": 550, "later@example.org": 451}
    gone = dict(reply.recipients)["gone@example.org"]
    assert gone.enhanced_code == (5, 1, 1)
    assert gone.text == "5.1.1 The email account that you tried to reach does not exist.\n5.1.1 Check it."
    assert reply.accepted == ["ok@example.org"]
    assert [m.rcpt_tos for m in server.handler.messages] == [["ok@example.org"]]


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one-by-one"])
async def test_all_recipients_refused_then_next_message_goes_through(
    start_server: StartServer, pipelining: bool
) -> None:
    server = start_server(pipelining=pipelining, rcpt_replies={"gone@example.org": "550 5.1.1 unknown"})
    async with SmtpClient(server.relay()) as client:
        refused = await client.send("s@example.com", ["gone@example.org"], to_smtp_data(b"one"))
        assert refused.final is None and refused.accepted == []
        assert (refused.data is not None) is pipelining  # RFC 2920: DATA is in the group, and refused
        accepted = await client.send("s@example.com", ["ok@example.org"], to_smtp_data(b"two"))
    assert accepted.accepted == ["ok@example.org"]
    assert [m.content for m in server.handler.messages] == [b"two\r\n"]


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one-by-one"])
async def test_refused_sender_is_data_and_the_session_recovers(start_server: StartServer, pipelining: bool) -> None:
    server = start_server(pipelining=pipelining, mail_reply="553 5.7.1 sender not allowed")
    async with SmtpClient(server.relay()) as client:
        refused = await client.send("bad@example.com", ["r@example.org"], to_smtp_data(b"one"))
        assert refused.mail.code == 553 and refused.final is None
        server.handler.mail_reply = None
        accepted = await client.send("good@example.com", ["r@example.org"], to_smtp_data(b"two"))
    assert accepted.accepted == ["r@example.org"]
    assert [(m.mail_from, m.content) for m in server.handler.messages] == [("good@example.com", b"two\r\n")]


async def test_reply_after_the_body_is_data(start_server: StartServer) -> None:
    server = start_server(data_reply="554 5.7.1 message content rejected")
    async with SmtpClient(server.relay()) as client:
        reply = await client.send("s@example.com", ["r@example.org"], to_smtp_data(b"spam"))
        assert reply.final is not None and reply.final.code == 554 and reply.accepted == []
        assert client.is_usable


async def test_drop_during_data_raises_a_connection_error(start_server: StartServer) -> None:
    server = start_server(drop_on_data=True)
    client = SmtpClient(server.relay())
    await client.connect()
    with pytest.raises(SmtpConnectionError) as caught:
        await client.send("s@example.com", ["r@example.org"], to_smtp_data(b"lost"))
    assert isinstance(caught.value, ConnectionError)
    assert caught.value.stage is SmtpStage.MESSAGE
    assert not client.is_usable


async def test_refused_connection(closed_port: int, start_server: StartServer) -> None:
    relay = start_server().relay(port=closed_port)
    with pytest.raises(SmtpConnectionError) as caught:
        await SmtpClient(relay).connect()
    assert caught.value.stage is SmtpStage.CONNECT


async def test_421_greeting_is_a_refusal(start_server: StartServer) -> None:
    server = start_server(greeting="421 4.3.2 Service not available, closing")
    with pytest.raises(SmtpRefusedError) as caught:
        await SmtpClient(server.relay()).connect()
    assert caught.value.stage is SmtpStage.CONNECT
    assert (caught.value.reply.code, caught.value.reply.enhanced_code) == (421, (4, 3, 2))


async def test_silent_server_times_out() -> None:
    accepted: list[asyncio.StreamWriter] = []
    silent = await asyncio.start_server(lambda reader, writer: accepted.append(writer), "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    async with silent:
        client = SmtpClient(RelayConfig(host="127.0.0.1", port=port, name="silent", timeout=0.2))
        with pytest.raises(SmtpTimeoutError) as caught:
            await client.connect()
    for writer in accepted:  # the server's side of the connection outlives the server itself
        writer.close()
    assert isinstance(caught.value, TimeoutError) and caught.value.stage is SmtpStage.CONNECT


async def test_multi_line_ehlo_and_helo_fallback(start_server: StartServer) -> None:
    server = start_server(extra_ehlo=["250-X-EXPERIMENT a b", "250-AUTH=LOGIN"])
    async with SmtpClient(server.relay(helo="client.example")) as client:
        assert client.extensions["X-EXPERIMENT"] == "a b"
        assert {"PIPELINING", "SIZE", "8BITMIME"} <= set(client.extensions)
    assert server.handler.helos == ["client.example"]

    plain = start_server(refuse_ehlo=True)
    async with SmtpClient(plain.relay()) as client:
        assert client.extensions == {}
        reply = await client.send("s@example.com", ["r@example.org"], to_smtp_data(b"old school"))
    assert reply.accepted == ["r@example.org"]
    assert plain.handler.helos == ["[127.0.0.1]"]  # the address literal, RFC 5321 4.1.3


async def test_starttls_with_a_self_signed_certificate(start_server: StartServer, tls: TlsMaterial) -> None:
    server = start_server(tls_context=tls.server, require_starttls=True)
    async with SmtpClient(server.relay(starttls=True, verify=False)) as client:
        assert "STARTTLS" not in client.extensions  # the EHLO after TLS (RFC 3207 4.2)
        reply = await client.send("s@example.com", ["r@example.org"], to_smtp_data(b"secret"))
    assert reply.accepted == ["r@example.org"]
    assert len(server.handler.helos) == 2
    async with SmtpClient(server.relay(starttls=True), ssl_context=tls.client) as client:
        assert (await client.send("s@example.com", ["r@example.org"], to_smtp_data(b"x"))).accepted


async def test_starttls_verifies_certificates_by_default(start_server: StartServer, tls: TlsMaterial) -> None:
    server = start_server(tls_context=tls.server)
    with pytest.raises(SmtpConnectionError) as caught:
        await SmtpClient(server.relay(starttls=True)).connect()
    assert caught.value.stage is SmtpStage.STARTTLS and "certificate" in str(caught.value).lower()


async def test_starttls_required_but_not_offered(start_server: StartServer) -> None:
    with pytest.raises(SmtpUnsupportedError) as caught:
        await SmtpClient(start_server().relay(starttls=True)).connect()
    assert caught.value.stage is SmtpStage.STARTTLS


async def test_plaintext_after_the_starttls_reply_is_refused(tls: TlsMaterial) -> None:
    """RFC 3207 section 6: a man in the middle may append commands' replies before the handshake."""

    hung_up = asyncio.Event()

    async def injecting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(b"220 ready\r\n")
            await reader.readline()
            writer.write(b"250-relay\r\n250 STARTTLS\r\n")
            await reader.readline()
            writer.write(b"220 go ahead\r\n250 2.1.0 injected\r\n")
            await writer.drain()
            await reader.read()  # until the client hangs up
        finally:
            writer.close()
            hung_up.set()

    server = await asyncio.start_server(injecting, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        relay = RelayConfig(host="127.0.0.1", port=port, name="mitm", starttls=True, timeout=5)
        with pytest.raises(SmtpConnectionError) as caught:
            await SmtpClient(relay, ssl_context=tls.client).connect()
        async with asyncio.timeout(5):
            await hung_up.wait()  # the client closed its side, and the server closes its own
    assert caught.value.stage is SmtpStage.STARTTLS
    assert "data after the STARTTLS reply" in str(caught.value)


async def test_implicit_tls(start_server: StartServer, tls: TlsMaterial) -> None:
    server = start_server(ssl_context=tls.server)
    async with SmtpClient(server.relay(implicit_tls=True), ssl_context=tls.client) as client:
        reply = await client.send("s@example.com", ["r@example.org"], to_smtp_data(b"wrapped"))
    assert reply.accepted == ["r@example.org"]


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
async def test_auth(start_server: StartServer, credentials: Any, mechanism: str) -> None:
    excluded = [m for m in ("PLAIN", "LOGIN") if m != mechanism]
    used: list[str] = []

    def recording(server: object, session: object, envelope: object, name: str, data: object) -> AuthResult:
        used.append(name)
        result: AuthResult = credentials.authenticate(server, session, envelope, name, data)
        return result

    server = start_server(authenticator=recording, auth_require_tls=False, auth_exclude_mechanism=excluded)
    async with SmtpClient(server.relay(username=credentials.user, password=credentials.password)) as client:
        assert (await client.send("s@example.com", ["r@example.org"], to_smtp_data(b"x"))).accepted
    assert used == [mechanism]


async def test_wrong_password_is_a_535_refusal(start_server: StartServer, credentials: Any) -> None:
    server = start_server(authenticator=credentials.authenticate, auth_require_tls=False)
    with pytest.raises(SmtpRefusedError) as caught:
        await SmtpClient(server.relay(username=credentials.user, password="wrong-password")).connect()
    assert caught.value.stage is SmtpStage.AUTH and caught.value.reply.code == 535
    assert "wrong-password" not in str(caught.value)


async def test_send_checks_its_arguments(start_server: StartServer) -> None:
    async with SmtpClient(start_server().relay()) as client:
        with pytest.raises(ValueError, match=r"CRLF\.CRLF"):
            await client.send("s@example.com", ["r@example.org"], b"not terminated\r\n")
        with pytest.raises(ValueError, match="recipient"):
            await client.send("s@example.com", [], to_smtp_data(b"x"))
        with pytest.raises(ValueError, match="line breaks"):
            await client.send("s@example.com", ["r@example.org>\r\nRCPT TO:<x@evil.example"], to_smtp_data(b"x"))
        assert client.is_usable


async def test_cancelled_send_leaves_the_client_unusable(start_server: StartServer) -> None:
    server = start_server()
    client = SmtpClient(server.relay())
    await client.connect()
    task = asyncio.create_task(client.send("s@example.com", ["r@example.org"], to_smtp_data(b"x")))
    await asyncio.sleep(0)  # one turn of the loop: the commands are written, the replies not yet read
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not client.is_usable  # replies still in flight would answer the next message's commands


def feed(connection: SmtpConnection, data: bytes) -> None:
    """Deliver bytes to the protocol the way the event loop does."""
    buffer = connection.get_buffer(-1)
    buffer[: len(data)] = data
    connection.buffer_updated(len(data))


async def test_replies_split_anywhere_are_reassembled() -> None:
    connection = SmtpConnection()
    wire = b"220 hi there\r\n250-first\r\n250-SIZE 100\r\n250 last\r\n250\r\n"
    for index in range(len(wire)):
        feed(connection, wire[index : index + 1])
    assert await connection.read(3, SmtpStage.HELLO, 1.0) == [
        SmtpReply(220, "hi there"),
        SmtpReply(250, "first\nSIZE 100\nlast"),
        SmtpReply(250, ""),
    ]
    feed(connection, b"354 go\n250 bare line feeds\n")
    assert [r.code for r in await connection.read(2, SmtpStage.DATA, 1.0)] == [354, 250]


@pytest.mark.parametrize(
    "wire",
    [b"HTTP/1.1 400 Bad Request\r\n", b"250-one\r\n251 two\r\n", b"25O oh\r\n", b"2" * 70000],
    ids=["http", "code-change", "letter", "endless"],
)
async def test_garbage_is_a_connection_fault(wire: bytes) -> None:
    connection = SmtpConnection()
    for start in range(0, len(wire), 65536):
        feed(connection, wire[start : start + 65536])
    with pytest.raises(SmtpConnectionError, match="not an SMTP reply"):
        await connection.read(1, SmtpStage.CONNECT, 1.0)
    assert not connection.is_open


async def test_a_utf8_address_goes_with_smtputf8_when_offered(start_server: StartServer) -> None:
    server = start_server(enable_SMTPUTF8=True)
    async with SmtpClient(server.relay()) as client:
        assert "SMTPUTF8" in client.extensions
        ascii_reply = await client.send("s@example.com", ["r@example.org"], to_smtp_data(b"Subject: a\r\n\r\nx"))
        reply = await client.send("s@example.com", ["用户@example.com"], to_smtp_data(b"Subject: u\r\n\r\nx"))
    assert ascii_reply.accepted == ["r@example.org"] and reply.accepted == ["用户@example.com"]
    plain, utf8 = server.handler.messages
    assert "SMTPUTF8" not in plain.mail_options and "SMTPUTF8" in utf8.mail_options
    assert utf8.rcpt_tos == ["用户@example.com"]


async def test_without_smtputf8_a_utf8_address_is_refused_and_the_session_goes_on(start_server: StartServer) -> None:
    server = start_server(enable_SMTPUTF8=False)
    async with SmtpClient(server.relay()) as client:
        assert "SMTPUTF8" not in client.extensions
        with pytest.raises(SmtpUtf8Unsupported, match="SMTPUTF8"):
            await client.send("s@example.com", ["用户@example.com"], to_smtp_data(b"Subject: u\r\n\r\nx"))
        assert client.is_usable
        reply = await client.send("s@example.com", ["r@example.org"], to_smtp_data(b"Subject: a\r\n\r\nx"))
    assert reply.accepted == ["r@example.org"]
    assert [message.rcpt_tos for message in server.handler.messages] == [["r@example.org"]]
