"""The inbound door: an aiosmtpd handler that takes bounces and complaints for this installation's return-path
and complaint addresses, and refuses every other recipient with 550, so it is never an open relay.

It is served by the listener every SMTP door shares (`smtpd/listener.py`: message size, connections at once,
idle timeout, no tracebacks on the wire); it adds a number of recipients per message. A message that cannot be
recorded (database unreachable) gets a 451 so the sender keeps it and tries again.
"""

from __future__ import annotations

import logging

from aiosmtpd.smtp import SMTP, Envelope, Session

from mailyard.domain.inbound import InboundMail
from mailyard.services.bounces import BounceService
from mailyard.smtpd.inbound.reports import read_report

log = logging.getLogger(__name__)
MAX_RECIPIENTS = 20


class InboundDoor:
    """The aiosmtpd handler of the inbound listener: recipients checked at RCPT, messages handed to the bounce
    service at DATA."""

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
