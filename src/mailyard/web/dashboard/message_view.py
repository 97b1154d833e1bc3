"""A stored message as a mail client shows it: headers, text part, HTML part and attachments."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

SHOWN_HEADERS = ("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "List-Unsubscribe")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class MessageView:
    headers: list[tuple[str, str]]  #: every header, in order
    summary: dict[str, str]  #: the headers a reader looks at first
    text: str | None
    html: str | None
    attachments: list[Attachment]
    raw: str


def read_message(content: bytes) -> MessageView:
    parsed = BytesParser(policy=policy.default).parsebytes(content)
    assert isinstance(parsed, EmailMessage)
    headers = [(name, str(value)) for name, value in parsed.items()]
    summary = {name: str(parsed[name]) for name in SHOWN_HEADERS if parsed[name] is not None}
    return MessageView(
        headers=headers,
        summary=summary,
        text=_body(parsed, "plain"),
        html=_body(parsed, "html"),
        attachments=_attachments(parsed),
        raw=content.decode("utf-8", errors="replace"),
    )


def _body(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    try:
        return str(part.get_content())
    except (LookupError, ValueError):
        return part.get_payload(decode=True).decode("utf-8", errors="replace")  # type: ignore[union-attr]


def _attachments(message: EmailMessage) -> list[Attachment]:
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        found.append(Attachment(part.get_filename() or "", part.get_content_type(), size))
    return found
