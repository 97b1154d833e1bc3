"""The TLS identity of the SMTP listeners: the configured certificate and key, or a self-signed pair made in
the data directory on first start (kept, so clients that pinned its fingerprint keep trusting it)."""

from __future__ import annotations

import hashlib
import os
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERTIFICATE_FILE = "smtpd-certificate.pem"
KEY_FILE = "smtpd-key.pem"
_VALID_FOR = timedelta(days=3650)


@dataclass(frozen=True, kw_only=True)
class TlsIdentity:
    context: ssl.SSLContext
    fingerprint: str  #: SHA-256 of the certificate (DER), as colon-separated hex
    certificate: Path
    generated: bool  #: made just now, on this start


def load_tls_identity(certificate: Path | None, key: Path | None, data_dir: Path) -> TlsIdentity:
    """The configured pair, else the self-signed one in `data_dir` (created when missing)."""
    if (certificate is None) != (key is None):
        raise ValueError("give both the TLS certificate and its key, or neither")
    generated = False
    if certificate is None or key is None:
        certificate, key = data_dir / CERTIFICATE_FILE, data_dir / KEY_FILE
        if not certificate.exists() or not key.exists():
            _make_self_signed(certificate, key)
            generated = True
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    return TlsIdentity(
        context=context, fingerprint=fingerprint(certificate), certificate=certificate, generated=generated
    )


def fingerprint(certificate: Path) -> str:
    der = ssl.PEM_cert_to_DER_cert(certificate.read_text())
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())


def _make_self_signed(certificate: Path, key: Path) -> None:
    certificate.parent.mkdir(parents=True, exist_ok=True)
    private_key = ec.generate_private_key(ec.SECP256R1())
    name = socket.getfqdn() or "localhost"
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    built = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + _VALID_FOR)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name), x509.DNSName("localhost")]), critical=False)
        .sign(private_key, hashes.SHA256())
    )
    key_bytes = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key_bytes)
    certificate.write_bytes(built.public_bytes(serialization.Encoding.PEM))
