"""Rewriting a submitted message's inline text parts in place: every other byte is kept."""

from __future__ import annotations

import email
import email.policy

from mailyard.mail.submitted_parts import PartRewrites, Slot, rewrite_parts

MESSAGE = (
    b"From: a@news.example.com\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="outer"\r\n'
    b"\r\n"
    b"This is the preamble.\r\n"
    b"--outer\r\n"
    b"Content-Type: text/html; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"<p>Gr=FC=DFe</p>\r\n"
    b"--outer\r\n"
    b"Content-Type: text/html\r\n"
    b'Content-Disposition: attachment; filename="page.html"\r\n'
    b"\r\n"
    b"<p>an attached page</p>\r\n"
    b"--outer\r\n"
    b"Content-Type: text/plain; charset=no-such-charset\r\n"
    b"\r\n"
    b"unreadable\r\n"
    b"--outer--\r\n"
    b"The epilogue.\r\n"
)


def rendered(pieces: list[bytes | Slot], values: dict[str, str]) -> bytes:
    return b"".join(piece if isinstance(piece, bytes) else values[piece.name].encode() + b"=\r\n" for piece in pieces)


def test_only_inline_readable_parts_are_rewritten_with_slots_for_the_copy() -> None:
    rewrites = PartRewrites(html=lambda html: html + "{{track}}", text=str.upper, variables=frozenset({"track"}))
    pieces = rewrite_parts(MESSAGE, rewrites)
    assert Slot("track", escape_html=True) in pieces
    data = rendered(pieces, {"track": "T"})
    assert data.startswith(MESSAGE.split(b"--outer\r\n", 1)[0])  # the header and preamble as they came
    assert data.endswith(MESSAGE.split(b"<p>Gr=FC=DFe</p>\r\n", 1)[1])  # everything after the rewritten part
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    first = next(parsed.iter_parts())
    assert first["Content-Type"] == 'text/html; charset="utf-8"'
    assert first.get_content().replace("\r\n", "\n") == "<p>Grüße</p>T"  # the CRLF before a delimiter belongs to it


def test_a_single_part_message_without_mime_headers_gets_them() -> None:
    plain = b"From: a@news.example.com\r\nSubject: hi\r\n\r\nhello\r\n"
    data = rendered(rewrite_parts(plain, PartRewrites(text=lambda text: text + "bye\n")), {})
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["MIME-Version"] == "1.0" and parsed["Subject"] == "hi"
    assert parsed.get_content().replace("\r\n", "\n") == "hello\nbye\n"


def test_nothing_to_rewrite_keeps_every_byte() -> None:
    assert b"".join(rewrite_parts(MESSAGE, PartRewrites())) == MESSAGE  # type: ignore[arg-type]
