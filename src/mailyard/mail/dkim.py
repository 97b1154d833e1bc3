"""DKIM (RFC 6376) keys and signatures for sending domains.

dkimpy parses and canonicalizes the message; the RSA signature itself is made with ``cryptography``
(OpenSSL): dkimpy signs with pure-Python big-integer arithmetic, about 12 ms a message for a 2048-bit key
against about 1 ms here, which would make signing the bottleneck of the sending loop.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime
from typing import Any

import dkim
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from dkim.canonicalization import CanonicalizationPolicy

__all__ = ["DkimError", "DkimSigner", "generate_dkim_key", "sign_message"]

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


class DkimSigner:
    """Signs messages for one domain and selector; load it once per run, the key parse is not free."""

    __slots__ = ("_domain", "_key", "_selector")

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

    def sign(self, message: bytes, *, signed_at: datetime | None = None) -> bytes:
        """``message`` with a DKIM-Signature header prepended."""
        return self.signature_header(message, signed_at=signed_at) + message

    def signature_header(self, message: bytes, *, signed_at: datetime | None = None) -> bytes:
        """The DKIM-Signature header field (folded, ending with CRLF) for ``message``."""
        try:
            headers, body = dkim.rfc822_parse(message)
        except dkim.MessageFormatError as error:
            raise DkimError(f"cannot sign a malformed message: {error}") from error
        policy = CanonicalizationPolicy.from_c_value(b"relaxed/relaxed")
        present = {name.lower() for name, _ in headers}
        if b"from" not in present:
            raise DkimError("cannot sign a message without a From header (RFC 6376 section 5.4)")
        signed = [name for name in _SIGNED_HEADERS if name in present]
        body_hash = base64.b64encode(hashlib.sha256(policy.canonicalize_body(body)).digest())
        unsigned = self._unsigned_header(signed, body_hash, signed_at)
        signature = self._key.sign(
            _signed_data(policy, dkim.select_headers(headers, signed), unsigned),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
        encoded = base64.b64encode(signature)
        # Whitespace inside b= is ignored by verifiers (RFC 6376 section 3.5), so it may be folded.
        folded = b"\r\n ".join(encoded[i : i + _B64_LINE] for i in range(0, len(encoded), _B64_LINE))
        return unsigned + folded + b"\r\n"

    def _unsigned_header(self, signed: list[bytes], body_hash: bytes, signed_at: datetime | None) -> bytes:
        """The header up to an empty ``b=``, which is what the signature covers (RFC 6376 section 3.7)."""
        timestamp = b"" if signed_at is None else b" t=%d;" % int(signed_at.timestamp())
        return (
            b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
            b" d=%s; s=%s;%s\r\n h=%s;\r\n bh=%s;\r\n b="
            % (self._domain, self._selector, timestamp, _header_list(signed), body_hash)
        )


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


def _signed_data(policy: Any, headers: list[tuple[bytes, bytes]], unsigned: bytes) -> bytes:
    """The signed header fields, canonicalized, then the signature header itself without its final CRLF
    (RFC 6376 section 3.7)."""
    own_name, own_value = unsigned.split(b":", 1)
    fields: list[tuple[bytes, bytes]] = list(policy.canonicalize_headers(headers))
    ((own_name, own_value),) = policy.canonicalize_headers([(own_name, own_value)])
    fields.append((own_name, own_value.rstrip(b"\r\n")))
    return b"".join(name + b":" + value for name, value in fields)
