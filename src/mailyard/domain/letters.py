"""Messages on their way out: the draft a run's message is compiled from, and each copy handed to the mailer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mailyard.domain.messages import Attachment


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageDraft:
    """What every message of a run shares; `subject`, `text` and `html` are templates."""

    from_address: str
    from_name: str | None
    reply_to: str | None
    subject: str
    text: str | None
    html: str | None
    list_unsubscribe: str | None
    message_id_domain: str
    to: tuple[str, ...] | None = None  #: the To header; None shows each recipient its own address
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    dkim: DkimKey | None = None  #: sign every copy with this key (the sender's domain has one)


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmittedChanges:
    """What Mailyard changes in a message submitted over SMTP, besides a missing Message-ID and Date: the
    rewrites of its inline HTML and plain-text parts (tracking, unsubscribe footer) and a List-Unsubscribe
    header. The rewrites run once per run and may leave `{{name}}` placeholders of `variables`, which each
    copy fills in."""

    html: Callable[[str], str] | None = None
    text: Callable[[str], str] | None = None
    list_unsubscribe: str | None = None  #: a URL template
    variables: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class DkimKey:
    """A sending domain's DKIM private key, decrypted for the run that signs with it."""

    domain: str
    selector: str
    private_pem: str = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Letter:
    """One rendered message on its way to one recipient; ``data`` is RFC 5322 bytes, which the mailer frames
    for its transport."""

    delivery_id: int
    task_id: int
    account_id: int
    envelope_from: str
    recipient: str
    message_id: str
    data: bytes
