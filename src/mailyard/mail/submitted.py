"""A message submitted over SMTP, sent as it came: its own headers and MIME structure, attachments included.

Mailyard only adds what a submission server must (RFC 6409 section 8): a Message-ID and a Date when the
client left them out. The DKIM signature is added by `SignedMessage` around this, like for any message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from email.utils import format_datetime

from mailyard.mail.smtp_client import to_smtp_data

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(rb"^message-id[ \t]*:", re.IGNORECASE | re.MULTILINE)
_DATE = re.compile(rb"^date[ \t]*:", re.IGNORECASE | re.MULTILINE)


class SubmittedMessage:
    """The `ComposedMessage` port over a message kept as submitted; every copy is the same but for the
    headers Mailyard adds."""

    __slots__ = ("_content", "_has_date", "_has_message_id")

    def __init__(self, content: bytes) -> None:
        self._content = content.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
        found = _HEADER_END.search(self._content)
        headers = self._content[: found.start() + 2] if found else self._content
        self._has_message_id = _MESSAGE_ID.search(headers) is not None
        self._has_date = _DATE.search(headers) is not None

    def render(self, *, recipient: str, values: Mapping[str, str], message_id: str, date: datetime) -> bytes:
        added = b""
        if not self._has_message_id:
            added += b"Message-ID: <" + message_id.encode("ascii", "replace") + b">\r\n"
        if not self._has_date:
            added += b"Date: " + format_datetime(date).encode() + b"\r\n"
        return added + self._content

    def render_for_smtp(self, *, recipient: str, values: Mapping[str, str], message_id: str, date: datetime) -> bytes:
        return to_smtp_data(self.render(recipient=recipient, values=values, message_id=message_id, date=date))
