"""The submission door: a handler (aiosmtpd's hook names, served by smtpd.session) that signs clients in and
hands their messages to the service.

Sign in with AUTH PLAIN or LOGIN (a sender address and its SMTP password), over TLS unless the listener is
loopback-only and TLS is not required; or submit without AUTH from a trusted network, for a named account.
Each refusal is the service's error translated by `replies`; a message is answered 250 only once committed.
"""

from __future__ import annotations

import binascii
import ipaddress
import logging
from base64 import b64decode
from dataclasses import dataclass
from typing import Any

from aiosmtpd.smtp import MISSING, AuthResult, Envelope, Session

from mailyard.domain import submissions
from mailyard.errors import MailyardError
from mailyard.services.submissions import SubmissionService
from mailyard.smtpd.listener import client_address, is_encrypted
from mailyard.smtpd.session import SmtpSession
from mailyard.smtpd.submission import replies

_log = logging.getLogger("mailyard.smtpd.submission")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, kw_only=True)
class SubmissionPolicy:
    auth_needs_tls: bool  #: refuse AUTH before TLS (every listener but a loopback one, unless TLS is required)
    trusted_networks: tuple[Network, ...] = ()  #: may submit without AUTH ...
    trusted_account: str | None = None  #: ... for this account

    def trusts(self, client: str) -> bool:
        if not self.trusted_networks or self.trusted_account is None:
            return False
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            return False
        return any(address in network for network in self.trusted_networks)


def parse_networks(text: str) -> tuple[Network, ...]:
    """`127.0.0.1/32,10.0.0.0/8` (empty: none); ValueError naming a malformed entry."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


class SubmissionDoor:
    """The handler of the submission listener; one for every session of a listener."""

    def __init__(self, service: SubmissionService, policy: SubmissionPolicy) -> None:
        self._service = service
        self._policy = policy

    async def handle_AUTH(self, server: SmtpSession, session: Session, envelope: Envelope, args: list[str]) -> Any:
        if self._policy.auth_needs_tls and not is_encrypted(server):
            return replies.TLS_REQUIRED
        return MISSING  # go on with the mechanism (auth_PLAIN, auth_LOGIN)

    async def auth_PLAIN(self, server: SmtpSession, args: list[str]) -> AuthResult:
        blob = await _credentials(server, args, b"")
        if blob is None:
            return AuthResult(success=False, handled=True)
        parts = blob.split(b"\x00")
        if len(parts) != 3:  # RFC 4616: [authzid] NUL authcid NUL passwd
            await server.push(replies.MALFORMED_CREDENTIALS)
            return AuthResult(success=False, handled=True)
        return await self._sign_in(server, parts[1], parts[2])

    async def auth_LOGIN(self, server: SmtpSession, args: list[str]) -> AuthResult:
        login = await _credentials(server, args, b"Username:")
        if login is None:
            return AuthResult(success=False, handled=True)
        password = await server.challenge_auth(b"Password:")
        if password is MISSING:
            return AuthResult(success=False, handled=True)
        return await self._sign_in(server, login, password)

    async def handle_MAIL(
        self, server: SmtpSession, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        try:
            submitter = await self._submitter(server, session)
            if submitter is None:
                return replies.AUTHENTICATION_REQUIRED
            if not address.isascii() and "SMTPUTF8" not in mail_options:
                return replies.UTF8_UNDECLARED
            submitter.check_envelope_sender(address)
        except MailyardError as error:
            return replies.reply_for(error)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Sender OK"

    async def handle_RCPT(
        self, server: SmtpSession, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if not address.isascii() and not envelope.smtp_utf8:
            return replies.UTF8_UNDECLARED
        recipients = _recipients(envelope)
        try:
            checked = recipients.add(address)  # checked here once: DATA hands these over as they are
        except MailyardError as error:
            return replies.reply_for(error)
        if len(envelope.rcpt_tos) < len(recipients):
            envelope.rcpt_tos.append(checked)
        return "250 2.1.5 Recipient OK"

    async def handle_DATA(self, server: SmtpSession, session: Session, envelope: Envelope) -> str:
        submitter = session.auth_data
        if not isinstance(submitter, submissions.Submitter):
            return replies.AUTHENTICATION_REQUIRED
        try:
            sent = await self._service.submit(
                submitter,
                mail_from=envelope.mail_from or "",
                recipients=_recipients(envelope),
                content=envelope.original_content or b"",
            )
        except MailyardError as error:
            return replies.reply_for(error)
        return replies.queued(sent.message_id)

    async def _sign_in(self, server: SmtpSession, login: bytes, password: bytes) -> AuthResult:
        try:
            submitter = await self._service.sign_in(
                login.decode("utf-8"), password.decode("utf-8"), client_address(server)
            )
        except UnicodeDecodeError:
            return AuthResult(success=False, handled=False, message=replies.MALFORMED_CREDENTIALS)
        except MailyardError as error:
            _log.info("SMTP sign-in refused for a client at %s: %s", client_address(server), error.code)
            return AuthResult(success=False, handled=False, message=replies.reply_for(error))
        return AuthResult(success=True, auth_data=submitter, message=replies.SIGNED_IN)

    async def _submitter(self, server: SmtpSession, session: Session) -> submissions.Submitter | None:
        """The session's signed-in sender, or the trusted account for a client of a trusted network. Either is
        kept in the session's auth data (which STARTTLS clears), so the network is looked at once a session."""
        if isinstance(session.auth_data, submissions.Submitter):
            return session.auth_data
        if not self._policy.trusts(client_address(server)) or self._policy.trusted_account is None:
            return None
        # aiosmtpd keeps free-form auth data here; a trusted session's submitter is kept the same way.
        session.auth_data = await self._service.for_account(self._policy.trusted_account)  # type: ignore[assignment]
        return session.auth_data


def _recipients(envelope: Envelope) -> submissions.EnvelopeRecipients:
    """The recipients checked at RCPT, kept with the envelope (a new envelope starts with none)."""
    kept = getattr(envelope, "door_data", None)
    if isinstance(kept, submissions.EnvelopeRecipients):
        return kept
    recipients = submissions.EnvelopeRecipients(envelope.rcpt_tos)
    if hasattr(envelope, "door_data"):
        envelope.door_data = recipients
    return recipients


async def _credentials(server: SmtpSession, args: list[str], challenge: bytes) -> bytes | None:
    """The initial response given with AUTH, or the answer to `challenge`; None once a 501 has been sent."""
    if len(args) < 2:
        answer = await server.challenge_auth(challenge)
        return None if answer is MISSING else bytes(answer)
    try:
        return b64decode(args[1].encode(), validate=True)
    except (binascii.Error, ValueError):
        await server.push(replies.MALFORMED_CREDENTIALS)
        return None
