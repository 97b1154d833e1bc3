"""Attachments: a compiled body wrapped in multipart/mixed with each file as a base64 part (RFC 2046 5.1.3).

Everything here is constant per run, so it is built once at compile time and only joined per recipient.
Base64 lines never start with ".", so the bytes need no SMTP dot-stuffing.
"""

from __future__ import annotations

import binascii
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote

__all__ = ["FilePart", "wrap_mixed"]

BodyT = TypeVar("BodyT")
_BASE64_LINE = 57  # 57 bytes are 76 base64 characters (RFC 2045 section 6.8)
_CONTENT_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]{0,63}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]{0,63}")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9 !#$%&'()*+,\-.;=@\[\]^_`{}~]{1,60}")
_SEGMENT = 40  # characters of an encoded file name per RFC 2231 continuation line


class AttachmentError(ValueError):
    """A file cannot be attached as given."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FilePart:
    filename: str
    content_type: str
    content: bytes


def wrap_mixed(
    content_headers: bytes, parts: Sequence[tuple[BodyT, bytes]], files: Sequence[FilePart]
) -> tuple[bytes, tuple[tuple[BodyT, bytes], ...]]:
    """Wrap ``(content headers, [(body, bytes after it)])`` from the body builder in multipart/mixed.

    The body becomes the first part; the files follow the last body's trailing bytes.
    """
    if not files:
        return content_headers, tuple(parts)
    boundary = b"=_mailyard_mixed_" + secrets.token_hex(12).encode()
    head = b'Content-Type: multipart/mixed;\r\n boundary="' + boundary + b'"\r\n\r\n--' + boundary + b"\r\n"
    tail = b"".join(b"\r\n--" + boundary + b"\r\n" + _file_part(item) for item in files)
    last_body, last_after = parts[-1]
    closed = last_after + tail + b"\r\n--" + boundary + b"--\r\n"
    return head + content_headers, (*parts[:-1], (last_body, closed))


def _file_part(item: FilePart) -> bytes:
    if _CONTENT_TYPE.fullmatch(item.content_type) is None:
        raise AttachmentError(f"not a usable content type: {item.content_type!r}")
    if not item.filename or not item.filename.isprintable():
        raise AttachmentError(f"not a usable file name: {item.filename!r}")
    encoded = binascii.b2a_base64(item.content, newline=False)
    lines = [encoded[start : start + 76] for start in range(0, len(encoded), 76)]
    return (
        b"Content-Type: " + item.content_type.encode() + b"\r\n"
        b"Content-Disposition: attachment;" + _file_name_parameter(item.filename) + b"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + b"\r\n".join(lines) + (b"\r\n" if lines else b"")
    )


def _file_name_parameter(name: str) -> bytes:
    """``filename="..."`` when short ASCII, else RFC 2231 UTF-8 continuations ``filename*0*=utf-8''...``."""
    if _PLAIN_NAME.fullmatch(name):
        return b'\r\n filename="' + name.encode() + b'"'
    encoded = quote(name, safe="")
    segments = []
    start = 0
    while start < len(encoded):
        end = min(start + _SEGMENT, len(encoded))
        while end < len(encoded) and "%" in encoded[end - 2 : end]:  # never split an "%XX" escape
            end -= 1
        segments.append(encoded[start:end])
        start = end
    return b";".join(
        f"\r\n filename*{index}*={'utf-8' + chr(39) * 2 if index == 0 else ''}{segment}".encode()
        for index, segment in enumerate(segments)
    )
