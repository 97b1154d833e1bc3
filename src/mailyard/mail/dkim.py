"""DKIM (RFC 6376) keys and signatures for sending domains.

Signing happens once per copy, so it is kept lean: a message with CRLF line endings (what the composer
renders) is split and canonicalized (relaxed/relaxed) here with a few C-level byte operations, the constant
part of the DKIM-Signature header is built once per signer, and the RSA signature is made with
``cryptography`` (OpenSSL) — dkimpy signs with pure-Python big-integer arithmetic, about 12 ms a message for
a 2048-bit key against about 1 ms here. Other input (bare LF line endings, odd header lines) goes through
dkimpy's parser; ``dkim.verify`` accepts both.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime

import dkim
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from dkim.canonicalization import CanonicalizationPolicy

__all__ = ["DkimError", "DkimSigner", "RsaDkimKeyMaker", "generate_dkim_key", "sign_message"]

_KEY_BITS = 2048  # RFC 8301 section 3.2: signers MUST use at least 1024 bits, SHOULD use 2048
# Signed when present. RFC 8058 section 4: List-Unsubscribe and List-Unsubscribe-Post MUST be signed.
_SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"reply-to",
    b"mime-version",
    b"content-type",
    b"content-transfer-encoding",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
)
_B64_LINE = 72
_NAME = re.compile(r"[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*")  # a DNS name, as in d= and s=
_RELAXED = CanonicalizationPolicy.from_c_value(b"relaxed/relaxed")
_FIELD_BREAK = re.compile(rb"\r\n(?![ \t])")  # between header fields; folded lines start with WSP
_FIELD_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+")  # RFC 5322 ftext
_WSP = re.compile(rb"[ \t]+")
_TRAILING_WSP = re.compile(rb"[ \t]+\r\n")
_WSP_RUN = re.compile(rb"[ \t]{2,}|\t")  # what collapsing WSP changes: a single space stays


class DkimError(ValueError):
    """A DKIM key or message cannot be used for signing."""


def generate_dkim_key() -> tuple[bytes, str]:
    """A new RSA key: its PKCS#1 PEM and the TXT value to publish at ``<selector>._domainkey.<domain>``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # RFC 6376 section 3.6.1: p= is the base64 of the DER SubjectPublicKeyInfo.
    return private_pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(public_der).decode("ascii")


class RsaDkimKeyMaker:
    """The `DkimKeyMaker` port: a new 2048-bit RSA key pair for a sending domain, the private key as PEM text."""

    def generate(self) -> tuple[str, str]:
        private_pem, public_value = generate_dkim_key()
        return private_pem.decode(), public_value


class DkimSigner:
    """Signs messages for one domain and selector; load it once per run, the key parse is not free."""

    __slots__ = ("_domain", "_header_lists", "_key", "_prefix", "_selector")

    def __init__(self, *, domain: str, selector: str, private_pem: bytes) -> None:
        try:
            key = serialization.load_pem_private_key(private_pem, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm) as error:
            raise DkimError(f"the DKIM key for {domain} is not an unencrypted PEM private key") from error
        if not isinstance(key, rsa.RSAPrivateKey):
            raise DkimError(f"the DKIM key for {domain} is not an RSA key")
        try:
            ascii_domain = domain.encode("idna").decode("ascii")  # d= is the A-label form (RFC 6376 3.5)
        except UnicodeError:
            ascii_domain = ""
        if _NAME.fullmatch(ascii_domain) is None or _NAME.fullmatch(selector) is None:
            raise DkimError(f"not a usable DKIM domain and selector: {domain!r}, {selector!r}")
        self._key = key
        self._domain = ascii_domain.encode()
        self._selector = selector.encode()
        self._prefix = b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n d=%s; s=%s;" % (
            self._domain,
            self._selector,
        )
        self._header_lists: dict[tuple[bytes, ...], bytes] = {}  # h= per set of signed fields

    def sign(self, message: bytes, *, signed_at: datetime | None = None) -> bytes:
        """``message`` with a DKIM-Signature header prepended."""
        return self.signature_header(message, signed_at=signed_at) + message

    def signature_header(self, message: bytes, *, signed_at: datetime | None = None) -> bytes:
        """The DKIM-Signature header field (folded, ending with CRLF) for ``message``."""
        canonical = _canonical_crlf(message) or _canonical_parsed(message)
        fields, body = canonical
        if b"from" not in fields:
            raise DkimError("cannot sign a message without a From header (RFC 6376 section 5.4)")
        signed = tuple(name for name in _SIGNED_HEADERS if name in fields)
        body_hash = base64.b64encode(hashlib.sha256(body).digest())
        unsigned = self._unsigned_header(signed, body_hash, signed_at)
        data = b"".join(fields[name] for name in signed) + _relaxed_field(unsigned)[:-2]  # RFC 6376 3.7
        signature = self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        encoded = base64.b64encode(signature)
        # Whitespace inside b= is ignored by verifiers (RFC 6376 section 3.5), so it may be folded.
        folded = b"\r\n ".join(encoded[i : i + _B64_LINE] for i in range(0, len(encoded), _B64_LINE))
        return unsigned + folded + b"\r\n"

    def _unsigned_header(self, signed: tuple[bytes, ...], body_hash: bytes, signed_at: datetime | None) -> bytes:
        """The header up to an empty ``b=``, which is what the signature covers (RFC 6376 section 3.7)."""
        timestamp = b"" if signed_at is None else b" t=%d;" % int(signed_at.timestamp())
        header_list = self._header_lists.get(signed)
        if header_list is None:
            header_list = self._header_lists[signed] = b"\r\n h=%s;\r\n bh=" % _header_list(list(signed))
        return self._prefix + timestamp + header_list + body_hash + b";\r\n b="


def _header_list(names: list[bytes]) -> bytes:
    """The h= value, folded after a colon to keep lines short (RFC 6376 section 3.5 allows FWS there)."""
    lines: list[bytes] = []
    line = b""
    for name in names:
        if line and len(line) + 1 + len(name) > _B64_LINE:
            lines.append(line + b":")
            line = name
        else:
            line = line + b":" + name if line else name
    lines.append(line)
    return b"\r\n  ".join(lines)


def sign_message(
    message: bytes, *, domain: str, selector: str, private_pem: bytes, signed_at: datetime | None = None
) -> bytes:
    """``message`` with a DKIM-Signature header prepended (relaxed/relaxed, rsa-sha256)."""
    return DkimSigner(domain=domain, selector=selector, private_pem=private_pem).sign(message, signed_at=signed_at)


def _relaxed_field(field: bytes) -> bytes:
    """One header field ("Name: value", folded or not), relaxed-canonicalized, ending with CRLF."""
    name, _, value = field.partition(b":")
    return name.lower().rstrip() + b":" + _WSP.sub(b" ", value.replace(b"\r\n", b"")).strip() + b"\r\n"


def _relaxed_body(body: bytes) -> bytes:
    """RFC 6376 section 3.4.4, for a body with CRLF line endings only; the same bytes as dkimpy's.

    Each step first checks with a plain search whether it has anything to do: the regular expressions
    try every position of the body, which costs more than the signature's hashing.
    """
    if b" \r\n" in body or b"\t\r\n" in body:
        body = _TRAILING_WSP.sub(b"\r\n", body)
    if b"\t" in body or b"  " in body:
        body = _WSP_RUN.sub(b" ", body)
    body = body.rstrip(b"\r\n")  # every CR is followed by LF here, so only whole empty lines go
    return body + b"\r\n" if body else b""


def _canonical_crlf(message: bytes) -> tuple[dict[bytes, bytes], bytes] | None:
    """The relaxed form of each header field (the last of each name) and of the body, for a message with
    CRLF line endings and well-formed header fields; None for anything else."""
    end = message.find(b"\r\n\r\n")
    if end <= 0 or message.count(b"\n") != message.count(b"\r\n") or message.count(b"\r") != message.count(b"\n"):
        return None
    fields: dict[bytes, bytes] = {}
    for field in _FIELD_BREAK.split(message[:end]):
        name, colon, _ = field.partition(b":")
        if not colon or _FIELD_NAME.fullmatch(name) is None:
            return None  # dkimpy's parser decides what such a line means
        fields[name.lower()] = _relaxed_field(field)
    return fields, _relaxed_body(message[end + 4 :])


def _canonical_parsed(message: bytes) -> tuple[dict[bytes, bytes], bytes]:
    """The same through dkimpy's parser (bare LF line endings, unusual header lines)."""
    try:
        headers, body = dkim.rfc822_parse(message)
    except dkim.MessageFormatError as error:
        raise DkimError(f"cannot sign a malformed message: {error}") from error
    fields = {name.lower(): name.lower() + b":" + value for name, value in _RELAXED.canonicalize_headers(headers)}
    return fields, _RELAXED.canonicalize_body(body)
