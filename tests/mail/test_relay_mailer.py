"""The relay mailer takes letters as RFC 5322 messages and frames them as SMTP DATA itself."""

from __future__ import annotations

from typing import Any

from mailyard.domain.letters import Letter
from mailyard.domain.outcomes import OutcomeKind
from mailyard.mail.relay_mailer import RelayMailer
from mailyard.mail.relay_pool import RelayPool

# Fixture from conftest.py: start_server(**options) -> server with .handler and .relay(**changes).
StartServer = Any


async def test_lines_starting_with_a_dot_arrive_unchanged(start_server: StartServer) -> None:
    server = start_server()
    message = b"Subject: dots\r\n\r\n.first\r\nmiddle\r\n..second\r\n.\r\n"
    letter = Letter(
        delivery_id=1,
        task_id=1,
        account_id=1,
        envelope_from="s@example.com",
        recipient="r@example.org",
        message_id="<1@example.com>",
        data=message,
    )
    mailer = RelayMailer(RelayPool([server.relay()]))
    try:
        outcome = await mailer.deliver(letter)
    finally:
        await mailer.close()

    assert outcome.kind is OutcomeKind.SENT
    assert server.handler.messages[0].content == message
