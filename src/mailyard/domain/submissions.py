"""Messages submitted over SMTP: who may submit, which senders they may use, and the limits they meet.

A submitter is either a sender address that signed in with its SMTP password, or a trusted network
submitting for a named account. The message must come from the submitter's own address (for a trusted
network, an address of one of the account's verified domains); its envelope sender may be that address,
another address of those domains, or empty (a bounce). The message itself is kept as sent.
"""

from __future__ import annotations

import email.header
import email.policy
import email.utils
import functools
import re
from collections import deque
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.errors import HeaderParseError, MessageError
from email.parser import HeaderParser

from mailyard.domain import messages
from mailyard.errors import ErrorCode, Forbidden, InvalidInput, LimitExceeded

MAX_RECIPIENTS = messages.MAX_DESTINATIONS  #: envelope recipients of one submitted message
MAX_MESSAGE_BYTES = 4 * 1024 * 1024  #: Tencent's limit, images and attachments included
ACCOUNT_RATE = 20  #: submissions a second per account (Tencent's SMTP limit)
RECIPIENT_HOURLY = 10  #: messages an hour from one sender to the same recipient (Tencent's SMTP limit)
_HEADERS = HeaderParser(policy=email.policy.compat32)  # plain strings: much cheaper than the default policy
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True, kw_only=True)
class SubmissionLogin:
    """A sender address that has an SMTP password, as the store keeps it."""

    account_id: int
    address: str
    password_hash: str


@dataclass(frozen=True, kw_only=True)
class Submitter:
    """Who is submitting on one SMTP session, and on behalf of which account."""

    account_id: int
    owner_id: int  #: the user that owns the single sends made (the account's first admin)
    time_zone: str
    daily_quota: int | None
    domains: frozenset[str]  #: the account's verified sending domains
    address: str | None = None  #: the signed-in sender address; None for a trusted network

    def check_envelope_sender(self, mail_from: str) -> str:
        """MAIL FROM: the signed-in address, another address of the account's verified domains, or empty."""
        if not mail_from:
            return ""
        cleaned = mail_from.strip().lower()
        if cleaned == self.address or cleaned.rpartition("@")[2] in self.domains:
            return cleaned
        raise Forbidden(
            f"envelope sender {mail_from[:200]} is not allowed for this login", code=ErrorCode.SENDER_NOT_ALLOWED
        )

    def check_header_from(self, headers: SubmittedHeaders) -> str:
        """The message's From: exactly the signed-in address (a trusted network: one of the verified domains)."""
        found = headers.from_address
        allowed = found == self.address if self.address else found.rpartition("@")[2] in self.domains
        if not allowed:
            wanted = self.address or "an address of the account's verified domains"
            raise Forbidden(
                f"header From {found} is not allowed: it must be {wanted}", code=ErrorCode.SENDER_NOT_ALLOWED
            )
        return found


class EnvelopeRecipients:
    """The envelope recipients of one message, each checked once, as it is given (the SMTP door adds them at
    RCPT TO): valid addresses, each kept once in the order given, at most MAX_RECIPIENTS."""

    __slots__ = ("_addresses",)

    def __init__(self, addresses: Iterable[str] = ()) -> None:
        self._addresses: dict[str, None] = {}
        for address in addresses:
            self.add(address)

    def add(self, address: str) -> str:
        """The address as kept (normalised); InvalidInput when it is not one, LimitExceeded past the limit."""
        checked = messages.check_address(address, "recipient")
        if checked not in self._addresses and len(self._addresses) >= MAX_RECIPIENTS:
            raise LimitExceeded(f"at most {MAX_RECIPIENTS} recipients a message", code=ErrorCode.TOO_MANY_RECIPIENTS)
        self._addresses[checked] = None
        return checked

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(self._addresses)

    def __len__(self) -> int:
        return len(self._addresses)


@dataclass(frozen=True, kw_only=True)
class SubmittedHeaders:
    """What Mailyard reads of a submitted message: its one From address and its Subject (the task's name)."""

    from_address: str
    subject: str


def read_headers(content: bytes) -> SubmittedHeaders:
    """The From address (lower-cased) and decoded Subject; refuses a message without exactly one From address."""
    try:
        headers = _HEADERS.parsestr(_header_text(content), headersonly=True)
        found = _from_addresses(tuple(str(field) for field in headers.get_all("From") or []))
    except (HeaderParseError, MessageError, IndexError, ValueError, TypeError) as error:
        raise InvalidInput("the From header cannot be read", field="from", code=ErrorCode.MESSAGE_INVALID) from error
    if len(found) != 1 or "@" not in found[0]:
        raise Forbidden("the message needs exactly one From address", code=ErrorCode.SENDER_NOT_ALLOWED)
    subject = headers.get("Subject")
    return SubmittedHeaders(
        from_address=found[0].strip().lower(), subject="" if subject is None else _decoded(str(subject))
    )


# The same From fields come back message after message (one sender), and so do Subjects (one newsletter): the
# readings of 4,096 of each are remembered; the email package's parser and decoder took 10-20 µs each. Only
# fields of up to this many characters, so that what is remembered stays within a few megabytes whatever the
# senders write.
MOST_REMEMBERED_CHARACTERS = 1_000


def _from_addresses(fields: tuple[str, ...]) -> tuple[str, ...]:
    """The addresses of the From fields' values (those with an address part)."""
    if sum(map(len, fields)) <= MOST_REMEMBERED_CHARACTERS:
        return _remembered_from_addresses(fields)
    return _read_from_addresses(fields)


def _read_from_addresses(fields: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(address for _name, address in email.utils.getaddresses(fields) if address)


_remembered_from_addresses = functools.lru_cache(maxsize=4096)(_read_from_addresses)


def _header_text(content: bytes) -> str:
    """The header section as text: UTF-8 (RFC 6532, sent under SMTPUTF8), anything undecodable replaced."""
    found = _HEADER_END.search(content)
    return content[: found.end() if found else len(content)].decode("utf-8", "replace")


def without_bcc(content: bytes) -> bytes:
    """The message without its Bcc header fields (RFC 5322 section 3.6.3): the blind recipients are in the
    envelope only, so no copy shows them."""
    return without_fields(content, frozenset({b"bcc"}))


def without_fields(content: bytes, names: frozenset[bytes]) -> bytes:
    """The message (or a header section) without the header fields of `names` (lower case), folded
    continuation lines included; the body is kept as it is."""
    found = _HEADER_END.search(content)
    end = found.end() if found else len(content)  # the body is never split into lines
    header = content[:end]
    lowered = header.lower()
    if not any(name in lowered for name in names):  # no field can have one of the names: nothing to drop
        return content
    lines = header.splitlines(keepends=True)
    kept: list[bytes] = []
    dropping = False
    for index, line in enumerate(lines):
        if line in (b"\r\n", b"\n", b"\r"):  # the end of the header section
            return b"".join(kept) + b"".join(lines[index:]) + content[end:]
        if line[:1] in (b" ", b"\t"):
            if not dropping:
                kept.append(line)
            continue
        dropping = line.split(b":", 1)[0].strip().lower() in names
        if not dropping:
            kept.append(line)
    return b"".join(kept) + content[end:]


def _decoded(subject: str) -> str:
    """A Subject field's text, its encoded words (RFC 2047) decoded and its white space collapsed."""
    if len(subject) <= MOST_REMEMBERED_CHARACTERS:
        return _remembered_subject(subject)
    return _decode_subject(subject)


def _decode_subject(subject: str) -> str:
    try:
        text = str(email.header.make_header(email.header.decode_header(subject)))
    except (HeaderParseError, UnicodeError, LookupError, ValueError):
        text = subject
    return " ".join(text.split())


_remembered_subject = functools.lru_cache(maxsize=4096)(_decode_subject)


@dataclass(frozen=True, slots=True)
class LimitWindow:
    """At most `limit` events per key within `span`; `name` keeps its keys apart from other windows'."""

    name: str
    limit: int
    span: timedelta


class ProcessCounts:
    """The `SubmissionCounts` port kept in this process: right for one process, and what the Redis counts fall
    back on while Redis cannot be reached. A restart forgets it, so a lockout never outlasts its window."""

    def __init__(self) -> None:
        self._logs: dict[LimitWindow, SlidingLog] = {}

    async def full(self, window: LimitWindow, key: str, now: datetime) -> bool:
        return self._log(window).full(key, now)

    async def add(self, window: LimitWindow, key: str, now: datetime) -> None:
        self._log(window).add(key, now)

    async def take(self, hits: Sequence[tuple[LimitWindow, str]], now: datetime) -> int | None:
        for index, (window, key) in enumerate(hits):
            if self._log(window).full(key, now):
                return index
        for window, key in hits:
            self._log(window).add(key, now)
        return None

    def _log(self, window: LimitWindow) -> SlidingLog:
        log = self._logs.get(window)
        if log is None:
            log = self._logs[window] = SlidingLog(window.limit, window.span)
        return log


class SlidingLog:
    """At most `limit` events per key within `window`: each key keeps the times of its recent events."""

    def __init__(self, limit: int, window: timedelta, *, keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self._keys = keys  # above this many keys, the stale ones are swept
        self._events: dict[Hashable, deque[datetime]] = {}

    def full(self, key: Hashable, now: datetime) -> bool:
        """True when `key` had `limit` events within the window before `now`."""
        events = self._events.get(key)
        if events is None:
            return False
        while events and events[0] <= now - self.window:
            events.popleft()
        if not events:
            del self._events[key]
            return False
        return len(events) >= self.limit

    def add(self, key: Hashable, now: datetime) -> None:
        if len(self._events) >= self._keys:
            self._sweep(now)
        events = self._events.setdefault(key, deque())
        events.append(now)
        while len(events) > self.limit:
            events.popleft()

    def forget(self, key: Hashable) -> None:
        self._events.pop(key, None)

    def _sweep(self, now: datetime) -> None:
        for key in [key for key, events in self._events.items() if not events or events[-1] <= now - self.window]:
            del self._events[key]
