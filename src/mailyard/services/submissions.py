"""SMTP submission: signing in with a sender address and its SMTP password, and handing a message to the
single-send path (ledger, GetSendEmailStatus, suppressions, DKIM, relays or the outbox) as `SendEmail` does.

The front door (smtpd.submission) owns the SMTP conversation; this service owns the rules and the
transaction, so a message is committed before the door says 250, and anything refused changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from mailyard.domain import messages, submissions
from mailyard.domain.submissions import EnvelopeRecipients, LimitWindow, ProcessCounts, Submitter
from mailyard.errors import AuthenticationFailed, ErrorCode, LimitExceeded, NotFound
from mailyard.ports.clock import Clock
from mailyard.ports.secrets import PasswordHasher
from mailyard.ports.store import Store
from mailyard.ports.submissions import SubmissionCounts, SubmissionRepositories
from mailyard.services.single_sends import SentMessage
from mailyard.services.submission_commits import CheckedSubmission, SubmissionCommits

# A client that signed in as an address is spared from that address's lockout for this long after.
KNOWN_CLIENT_DAYS = 30


@dataclass(frozen=True, kw_only=True)
class SubmissionLimits:
    """Tencent's SMTP limits by default; failed logins are counted per address and per client."""

    account_rate: int = submissions.ACCOUNT_RATE
    recipient_hourly: int = submissions.RECIPIENT_HOURLY
    failed_logins_per_address: int = 10
    failed_logins_per_client: int = 30
    login_window: timedelta = timedelta(minutes=15)


class SubmissionService:
    def __init__(
        self,
        store: Store[SubmissionRepositories],
        clock: Clock,
        passwords: PasswordHasher,
        limits: SubmissionLimits | None = None,
        counts: SubmissionCounts | None = None,
        transactions_at_once: int = 1,
    ) -> None:
        """`counts` shares the limits between processes (Redis); by default each process keeps its own.
        `transactions_at_once` pipelines the commits (see SubmissionCommits)."""
        self._store = store
        self._clock = clock
        self._passwords = passwords
        self.limits = limits = limits or SubmissionLimits()
        self._counts = counts or ProcessCounts()
        self._account_rate = LimitWindow("account-rate", limits.account_rate, timedelta(seconds=1))
        self._recipient_hourly = LimitWindow("recipient-hourly", limits.recipient_hourly, timedelta(hours=1))
        self._failed_by_address = LimitWindow("failed-address", limits.failed_logins_per_address, limits.login_window)
        self._failed_by_client = LimitWindow("failed-client", limits.failed_logins_per_client, limits.login_window)
        self._known_client = LimitWindow("known-client", 1, timedelta(days=KNOWN_CLIENT_DAYS))
        self._commits = SubmissionCommits(store, clock, at_once=transactions_at_once)
        self._decoy: str | None = None  # checked when no address matches, so that costs as long as a wrong password

    async def close(self) -> None:
        """Wait for the commits under way (before the database is closed)."""
        await self._commits.close()

    async def sign_in(self, address: str, password: str, client: str) -> Submitter:
        """The submitter a sender address and its SMTP password stand for.

        A client that failed too often waits out the window. So does an address, except for clients that
        signed in as it before: whoever guesses at an address cannot lock its real users out.
        """
        name, now = address.strip().lower(), self._clock.now()
        counts, pair = self._counts, f"{name} {client}"
        throttled = await counts.full(self._failed_by_client, client, now) or (
            not await counts.full(self._known_client, pair, now)
            and await counts.full(self._failed_by_address, name, now)
        )
        if throttled:
            raise LimitExceeded("too many failed logins; try again later", code=ErrorCode.LOGIN_THROTTLED)
        async with self._store.transaction() as repositories:
            logins = await repositories.submissions.logins(name)
        login = await self._matching(logins, password)
        if login is None:
            await counts.add(self._failed_by_client, client, now)
            await counts.add(self._failed_by_address, name, now)
            raise AuthenticationFailed("wrong sender address or SMTP password", code=ErrorCode.AUTHENTICATION_FAILED)
        await counts.add(self._known_client, pair, now)
        if self._passwords.needs_rehash(login.password_hash):
            async with self._store.transaction() as repositories:
                await repositories.senders.set_smtp_password(login.account_id, name, self._passwords.hash(password))
        return await self._submitter(login.account_id, address=login.address)

    async def for_account(self, account_name: str) -> Submitter:
        """The submitter of a trusted network: the named account, with any address of its verified domains."""
        async with self._store.transaction() as repositories:
            account = await repositories.accounts.get_by_name(account_name)
        if account is None:
            raise NotFound(f"account {account_name} not found", code=ErrorCode.ACCOUNT_NOT_FOUND)
        return await self._submitter(account.id, address=None)

    async def submit(
        self, submitter: Submitter, *, mail_from: str, recipients: Sequence[str] | EnvelopeRecipients, content: bytes
    ) -> SentMessage:
        """Check the message against the submitter's rights and limits, then commit it as a single send.
        Recipients given as EnvelopeRecipients were checked as they were added and are not checked again."""
        envelope_from = submitter.check_envelope_sender(mail_from)
        headers = submissions.read_headers(content)
        sender = submitter.check_header_from(headers)
        addresses = check_recipients(recipients)
        await self._take_rates(submitter.account_id, sender, addresses)
        send = messages.SingleSend(
            from_address=sender,
            reply_to=None,
            subject=headers.subject[:400],
            template_id=None,
            variables={},
            recipients=messages.Recipients(to=addresses, cc=(), bcc=()),
        )
        checked = CheckedSubmission(
            submitter=submitter, envelope_from=envelope_from, send=send, content=submissions.without_bcc(content)
        )
        return await self._commits.commit(checked)

    async def _take_rates(self, account_id: int, sender: str, addresses: Sequence[str]) -> None:
        hits = [(self._account_rate, str(account_id))]
        hits += [(self._recipient_hourly, f"{sender} {address}") for address in addresses]
        full = await self._counts.take(hits, self._clock.now())
        if full == 0:
            raise LimitExceeded("too many submissions a second for this account", code=ErrorCode.RATE_LIMITED)
        if full is not None:
            raise LimitExceeded(
                f"at most {self.limits.recipient_hourly} messages an hour from one sender to one recipient",
                code=ErrorCode.RATE_LIMITED,
            )

    async def _matching(
        self, logins: Sequence[submissions.SubmissionLogin], password: str
    ) -> submissions.SubmissionLogin | None:
        """The login whose hash the password matches; hashing runs off the event loop (it is slow on purpose)."""
        if not logins:
            if self._decoy is None:
                self._decoy = await asyncio.to_thread(self._passwords.hash, "no such login")
            await asyncio.to_thread(self._passwords.verify, self._decoy, password)
        for login in logins:
            if await asyncio.to_thread(self._passwords.verify, login.password_hash, password):
                return login
        return None

    async def _submitter(self, account_id: int, *, address: str | None) -> Submitter:
        async with self._store.transaction() as repositories:
            account = await repositories.accounts.get(account_id)
            owner = await repositories.submissions.owner(account_id)
            domains = await repositories.domains.list(account_id)
        if account is None or owner is None:
            raise NotFound("the account has no admin user to own submitted messages", code=ErrorCode.ACCOUNT_NOT_FOUND)
        return Submitter(
            account_id=account_id,
            owner_id=owner,
            time_zone=account.time_zone,
            daily_quota=account.daily_quota,
            domains=frozenset(domain.domain for domain in domains if domain.verified),
            address=address,
        )


def check_recipients(recipients: Sequence[str] | EnvelopeRecipients) -> tuple[str, ...]:
    """Envelope recipients: valid addresses, each once, at least one and at most the single-send limit."""
    checked = recipients if isinstance(recipients, EnvelopeRecipients) else EnvelopeRecipients(recipients)
    if not checked:
        raise LimitExceeded("give at least one recipient", code=ErrorCode.NO_RECIPIENT)
    return checked.addresses
