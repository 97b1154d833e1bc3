"""A message submitted over SMTP, sent as it came: its own headers and MIME structure, attachments included.

Mailyard adds what a submission server must (RFC 6409 section 8): a Message-ID and a Date when the client
left them out; and what the account asks of every message it sends (`SubmittedChanges`): tracked links and the
open pixel in its HTML, the unsubscribe footer and List-Unsubscribe header. The inline text parts are
rewritten once per run (`submitted_parts`); a copy only fills in its own values. The DKIM signature is added
by `SignedMessage` around this, like for any message.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime
from email.utils import format_datetime

from mailyard.domain.letters import SubmittedChanges
from mailyard.mail.mime import UnsubscribeHeader, quoted_printable_segment, unsubscribe_header
from mailyard.mail.smtp_client import to_smtp_data
from mailyard.mail.submitted_parts import PartRewrites, Slot, rewrite_parts

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(rb"^message-id[ \t]*:", re.IGNORECASE | re.MULTILINE)
_DATE = re.compile(rb"^date[ \t]*:", re.IGNORECASE | re.MULTILINE)
_LIST_UNSUBSCRIBE = re.compile(rb"^list-unsubscribe[ \t]*:", re.IGNORECASE | re.MULTILINE)


class SubmittedMessage:
    """The `ComposedMessage` port over a message kept as submitted; every copy is the same but for the
    headers Mailyard adds and the values of the slots its changes left."""

    __slots__ = ("_content", "_has_date", "_has_message_id", "_pieces", "_unsubscribe")

    def __init__(self, content: bytes, changes: SubmittedChanges | None = None) -> None:
        self._content = content.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
        found = _HEADER_END.search(self._content)
        headers = self._content[: found.start() + 2] if found else self._content
        self._has_message_id = _MESSAGE_ID.search(headers) is not None
        self._has_date = _DATE.search(headers) is not None
        self._pieces: list[bytes | Slot] | None = None
        self._unsubscribe: UnsubscribeHeader | None = None
        if changes is None:
            return
        if changes.html or changes.text:
            rewrites = PartRewrites(html=changes.html, text=changes.text, variables=changes.variables)
            self._pieces = rewrite_parts(self._content, rewrites)
        if changes.list_unsubscribe and not _LIST_UNSUBSCRIBE.search(headers):  # the client's own one stays
            self._unsubscribe = unsubscribe_header(changes.list_unsubscribe)

    def render(self, *, recipient: str, values: Mapping[str, str], message_id: str, date: datetime) -> bytes:
        added = b""
        if not self._has_message_id:
            added += b"Message-ID: <" + message_id.encode("ascii", "replace") + b">\r\n"
        if not self._has_date:
            added += b"Date: " + format_datetime(date).encode() + b"\r\n"
        if self._unsubscribe is not None:
            added += self._unsubscribe.header(values)
        if self._pieces is None:
            return added + self._content
        return added + b"".join(
            piece if isinstance(piece, bytes) else _slot_value(piece, values) for piece in self._pieces
        )

    def render_for_smtp(self, *, recipient: str, values: Mapping[str, str], message_id: str, date: datetime) -> bytes:
        return to_smtp_data(self.render(recipient=recipient, values=values, message_id=message_id, date=date))


def _slot_value(slot: Slot, values: Mapping[str, str]) -> bytes:
    value = values.get(slot.name, "")
    return quoted_printable_segment(html.escape(value) if slot.escape_html else value)
