"""Single sends (one templated message to a few addresses), their per-recipient status, and daily volumes.

A single send is a task of kind ``single``: no recipient list, one run whose deliveries are written
directly, one per distinct Destination, Cc and Bcc address. Its MessageId names the task.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from mailyard.domain import addresses
from mailyard.errors import ErrorCode, InvalidInput, LimitExceeded

MAX_DESTINATIONS = 50
MAX_CC = 20
MAX_BCC = 20
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 4 * 1024 * 1024  #: all attachments of one message together
MAX_FILE_NAME = 255
MESSAGE_ID_PREFIX = "mailyard-"
_MESSAGE_ID = re.compile(r"mailyard-([1-9][0-9]{0,17})-[0-9]{14}")
# RFC 5321 4.5.3.1 sizes; no whitespace, brackets or separators that could add a header or a recipient.
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")
# Types mail providers refuse or quarantine: executables and scripts.
BLOCKED_EXTENSIONS = frozenset(
    {
        "bat",
        "cmd",
        "com",
        "cpl",
        "exe",
        "hta",
        "jar",
        "js",
        "jse",
        "lnk",
        "msi",
        "pif",
        "ps1",
        "scr",
        "vbe",
        "vbs",
        "wsf",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """A file sent with a single send; ``content`` is the decoded bytes."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True, kw_only=True)
class Recipients:
    """Who gets a single send, de-duplicated: an address appears in one role only (To before Cc before Bcc)."""

    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]

    @property
    def everyone(self) -> tuple[str, ...]:
        return self.to + self.cc + self.bcc


@dataclass(frozen=True, kw_only=True)
class SingleSend:
    """A checked single send, ready to store."""

    from_address: str
    reply_to: str | None
    subject: str
    template_id: int | None  #: None when the message was submitted over SMTP with its own content
    variables: dict[str, Any]
    recipients: Recipients
    attachments: tuple[Attachment, ...] = ()
    unsubscribe: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnedSingleSend:
    """A single send to store for a user of an account; `name` becomes its task's name."""

    account_id: int
    owner_id: int
    send: SingleSend
    name: str


@dataclass(frozen=True, kw_only=True)
class EmailStatus:
    """One recipient of one single send, as the ledger sees it."""

    message_id: str
    to_address: str
    from_address: str
    state: str  #: a DeliveryState value
    smtp_code: int | None
    reason: str | None
    attempts: int
    task_suspended: bool  #: the daily quota held the message back
    requested_at: datetime
    updated_at: datetime
    delivery_id: int = 0
    event_types: frozenset[str] = frozenset()  #: the events the copy has had (domain/events.py EventType values)


@dataclass(frozen=True, kw_only=True)
class StatusQuery:
    """Which statuses to read: sends requested in [start, end), optionally one message or one recipient."""

    start: datetime
    end: datetime
    task_id: int | None = None
    to_address: str | None = None


@dataclass(frozen=True, kw_only=True)
class Volume:
    """Counts of one local day (or of a whole range when ``day`` is its first day).

    ``requested`` and ``accepted`` count ledger rows by the day their run was requested; the others count
    events by the day they happened (see the README's statistics section). All come from daily counters."""

    day: date
    requested: int = 0
    accepted: int = 0  #: not skipped: queued, sending, sent or failed
    delivered: int = 0  #: `delivered` events: a relay accepted the copy
    bounced: int = 0  #: hard bounces: refused for good, at once or by a later delivery status notification
    unsubscribed: int = 0  #: `unsubscribe` events: a recipient followed the link
    opened: int = 0  #: copies opened (each counted once), by anyone: what the clouds count
    clicked: int = 0  #: copies with a link clicked (each counted once), by anyone
    opened_by_humans: int = 0  #: copies a person opened (each counted once)
    opened_by_machines: int = 0  #: copies a machine opened: a privacy proxy or scanner (each counted once)
    clicked_by_humans: int = 0  #: copies with a link a person clicked (each counted once)
    clicked_by_machines: int = 0  #: copies with a link a machine followed (each counted once)
    complained: int = 0  #: spam complaints


def message_id_of(task_id: int, created_at: datetime) -> str:
    """The MessageId SendEmail returns: the task id plus its UTC creation time, for people reading logs."""
    return f"{MESSAGE_ID_PREFIX}{task_id}-{_stamp(created_at)}"


@lru_cache(maxsize=64)
def _stamp(created_at: datetime) -> str:
    # The tasks of one transaction share their creation time: strftime runs once for a group of them.
    return f"{created_at:%Y%m%d%H%M%S}"


def task_id_of(message_id: str) -> int | None:
    """The task a MessageId names, or None when it is not one of ours."""
    found = _MESSAGE_ID.fullmatch(message_id.strip())
    return int(found.group(1)) if found else None


def check_address(address: str, field_name: str) -> str:
    return addresses.normalized(address, field=field_name)


def check_reply_to(reply_to: str | None) -> str | None:
    """The Reply-To of a task or single send: one plain address (no name, no line break), or None when blank."""
    cleaned = (reply_to or "").strip()
    if not cleaned:
        return None
    try:
        return check_address(cleaned, "reply_to")
    except InvalidInput as error:
        raise InvalidInput(error.message, field="reply_to", code=ErrorCode.REPLY_TO_INVALID) from None


def check_recipients(destination: list[str], cc: list[str], bcc: list[str]) -> Recipients:
    """Limits of SendEmail: Destination ≤ 50, Cc ≤ 20, Bcc ≤ 20 and apart from Destination, someone at all."""
    if len(destination) > MAX_DESTINATIONS:
        raise LimitExceeded(f"at most {MAX_DESTINATIONS} Destination addresses", code=ErrorCode.TOO_MANY_RECIPIENTS)
    if len(cc) > MAX_CC:
        raise LimitExceeded(f"at most {MAX_CC} Cc addresses", code=ErrorCode.TOO_MANY_CC)
    if len(bcc) > MAX_BCC:
        raise LimitExceeded(f"at most {MAX_BCC} Bcc addresses", code=ErrorCode.TOO_MANY_BCC)
    to = _distinct(check_address(address, "destination") for address in destination)
    cc_only = _distinct(address for address in (check_address(item, "cc") for item in cc) if address not in to)
    blind = _distinct(check_address(address, "bcc") for address in bcc)
    if set(blind) & set(to):
        raise InvalidInput("Bcc and Destination must not share an address", field="bcc", code=ErrorCode.BCC_OVERLAPS)
    bcc_only = tuple(address for address in blind if address not in cc_only)
    if not (to or cc_only or bcc_only):
        raise InvalidInput(
            "give at least one Destination, Cc or Bcc address", field="destination", code=ErrorCode.NO_RECIPIENT
        )
    return Recipients(to=to, cc=cc_only, bcc=bcc_only)


def check_file_name(name: str) -> str:
    """A file name mail clients show safely: no path, control or reserved characters, not an executable."""
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if (
        not name.strip()
        or len(name) > MAX_FILE_NAME
        or _UNSAFE_NAME.search(name)
        or name.strip() != name
        or name.startswith(".")
        or extension in BLOCKED_EXTENSIONS
    ):
        raise InvalidInput(
            f"unsupported attachment name: {name[:100]!r}", field="attachments", code=ErrorCode.ATTACHMENT_NAME
        )
    return name


def check_attachments(attachments: list[Attachment]) -> tuple[Attachment, ...]:
    if len(attachments) > MAX_ATTACHMENTS:
        raise LimitExceeded(f"at most {MAX_ATTACHMENTS} attachments", code=ErrorCode.TOO_MANY_ATTACHMENTS)
    if sum(len(attachment.content) for attachment in attachments) > MAX_ATTACHMENT_BYTES:
        raise LimitExceeded("attachments are larger than 4 MB together", code=ErrorCode.ATTACHMENTS_TOO_LARGE)
    for attachment in attachments:
        check_file_name(attachment.filename)
    return tuple(attachments)


def _distinct(addresses: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(addresses))
