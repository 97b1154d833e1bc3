"""Rewriting the inline text parts of a submitted message where they are, leaving every other byte as it came.

The message is walked by its boundaries (RFC 2046 section 5.1.1), not parsed and serialised again, so the
attachments, the preamble and epilogue and every part that is not rewritten keep their exact bytes. A rewritten
part (inline `text/html` or `text/plain`) gets a UTF-8 quoted-printable body (RFC 2045 section 6.7): its
Content-Type (charset) and Content-Transfer-Encoding lines are replaced, the rest of its header is kept.
Parts marked as attachments, forwarded messages (`message/rfc822`) and parts whose charset or transfer
encoding cannot be read are left alone.

The result is a list of pieces: bytes, and slots where each copy puts its own value (the tracking base URL,
the unsubscribe token), encoded like the text around it.
"""

from __future__ import annotations

import binascii
import email.policy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser

from mailyard.domain.submissions import without_fields
from mailyard.mail.mime import quoted_printable_segment

MAX_DEPTH = 16  #: nested multiparts followed this deep; deeper ones are kept as they are
_HEADERS = BytesHeaderParser(policy=email.policy.compat32)
_REPLACED = frozenset({b"content-type", b"content-transfer-encoding"})
_MIME_VERSION = re.compile(rb"^mime-version[ \t]*:", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a copy puts the value of `name`, HTML-escaped inside an HTML part."""

    name: str
    escape_html: bool


Piece = bytes | Slot
Rewrite = Callable[[str], str]


@dataclass(frozen=True, slots=True, kw_only=True)
class PartRewrites:
    html: Rewrite | None = None
    text: Rewrite | None = None
    variables: frozenset[str] = frozenset()  #: `{{name}}` placeholders the rewrites leave, made into slots


def rewrite_parts(content: bytes, rewrites: PartRewrites) -> list[Piece]:
    """`content` (CRLF line endings) with its inline text parts rewritten: bytes and slots, in order."""
    walk = _Walk(rewrites)
    walk.entity(content, depth=0)
    return walk.pieces


class _Walk:
    def __init__(self, rewrites: PartRewrites) -> None:
        self.rewrites = rewrites
        self.pieces: list[Piece] = []
        names = "|".join(re.escape(name) for name in sorted(rewrites.variables))
        self._placeholder = re.compile(r"\{\{(" + names + r")\}\}") if names else None

    def entity(self, entity: bytes, *, depth: int) -> None:
        """A message or a body part: its header, a blank line, its body."""
        head_end = 0 if entity.startswith(b"\r\n") else entity.find(b"\r\n\r\n") + 2
        if head_end == 1:  # no body at all: nothing to rewrite
            self.pieces.append(entity)
            return
        head, body = entity[:head_end], entity[head_end + 2 :]
        headers = _HEADERS.parsebytes(head)
        boundary = headers.get_boundary() if headers.get_content_maintype() == "multipart" else None
        if boundary and depth < MAX_DEPTH:
            self.pieces.append(entity[: head_end + 2])
            self._multipart(body, boundary.encode("ascii", "surrogateescape"), depth + 1)
            return
        kind = headers.get_content_type()
        rewrite = self.rewrites.html if kind == "text/html" else self.rewrites.text if kind == "text/plain" else None
        text = _decoded(headers, body) if rewrite and headers.get_content_disposition() != "attachment" else None
        if rewrite is None or text is None:
            self.pieces.append(entity)
            return
        self.pieces.append(_rewritten_head(head, headers, top_level=depth == 0) + b"\r\n")
        self._encoded(rewrite(text), escape_html=kind == "text/html")

    def _multipart(self, body: bytes, boundary: bytes, depth: int) -> None:
        delimiter = re.compile(rb"(?:^|\r\n)--" + re.escape(boundary) + rb"(--)?[ \t]*(?=\r\n|$)")
        found = list(delimiter.finditer(body))
        if not found:
            self.pieces.append(body)
            return
        self.pieces.append(body[: found[0].start()])  # the preamble
        for current, following in zip(found, [*found[1:], None], strict=True):
            self.pieces.append(body[current.start() : current.end()])
            if current.group(1) or following is None:  # the close delimiter: the rest is the epilogue
                self.pieces.append(body[current.end() :])
                return
            self.pieces.append(b"\r\n")
            self.entity(body[current.end() + 2 : following.start()], depth=depth)

    def _encoded(self, text: str, *, escape_html: bool) -> None:
        """Quoted-printable segments, each ending a line, with a slot at every placeholder of a variable."""
        position = 0
        for match in self._placeholder.finditer(text) if self._placeholder else ():
            self.pieces.append(quoted_printable_segment(text[position : match.start()]))
            self.pieces.append(Slot(match.group(1), escape_html))
            position = match.end()
        self.pieces.append(quoted_printable_segment(text[position:]))


def _decoded(headers: Message, body: bytes) -> str | None:
    """The part's text, or None when its transfer encoding or charset cannot be read."""
    encoding = str(headers.get("Content-Transfer-Encoding", "7bit")).strip().lower()
    try:
        if encoding == "base64":
            raw = binascii.a2b_base64(body)
        elif encoding == "quoted-printable":
            raw = binascii.a2b_qp(body)
        elif encoding in ("7bit", "8bit", "binary"):
            raw = body
        else:
            return None
        charset = headers.get_content_charset() or "us-ascii"
        if charset in ("us-ascii", "ascii") and not raw.isascii():
            charset = "utf-8"  # 8-bit text sent without a charset is UTF-8 far more often than anything else
        return raw.decode(charset)
    except (binascii.Error, LookupError, UnicodeDecodeError, ValueError):
        return None


def _rewritten_head(head: bytes, headers: Message, *, top_level: bool) -> bytes:
    """The part's header with UTF-8 quoted-printable in place of its content type's charset and its encoding."""
    headers.set_param("charset", "utf-8")  # keeps the content type's other parameters
    content_type = str(headers["Content-Type"]).encode("ascii", "surrogateescape")
    lines: Iterable[bytes] = (
        without_fields(head, _REPLACED),
        b"MIME-Version: 1.0\r\n" if top_level and not _MIME_VERSION.search(head) else b"",
        b"Content-Type: " + content_type + b"\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
    )
    return b"".join(lines)
