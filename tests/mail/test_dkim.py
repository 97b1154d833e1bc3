import base64
import email
import email.policy
import time
from collections.abc import Callable
from datetime import UTC, datetime

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mailyard.mail.dkim import DkimError, DkimSigner, generate_dkim_key, sign_message
from mailyard.mail.mime import MessageBlueprint, compile_message, to_smtp_data

SIGNED_AT = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def key() -> tuple[bytes, str]:
    return generate_dkim_key()


def dns_for(txt: str, name: bytes = b"s1._domainkey.example.com.") -> Callable[..., bytes | None]:
    def lookup(query: bytes, timeout: int = 5) -> bytes | None:
        return txt.encode() if query == name else None

    return lookup


def message(list_unsubscribe: str | None = "https://example.com/u/{{token}}") -> bytes:
    compiled = compile_message(
        MessageBlueprint(
            from_address="news@example.com",
            from_name="Café Ünïcode",
            reply_to="help@example.com",
            subject="Grüße {{name}}, a subject long enough to be folded over more than one line of header",
            text="Hello {{name}},\n.a line starting with a dot\n" + "text  with   spaces \n" * 40,
            html="<p>Hello {{name}}</p>\n" * 40,
            list_unsubscribe=list_unsubscribe,
            message_id_domain="example.com",
        )
    )
    return compiled.render(
        recipient="bob@example.org", values={"name": "Zoë", "token": "t1"}, message_id="m1", date=SIGNED_AT
    )


def test_generated_key_and_dns_record(key: tuple[bytes, str]) -> None:
    private_pem, txt = key
    private = serialization.load_pem_private_key(private_pem, password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.key_size == 2048
    assert private_pem.startswith(b"-----BEGIN RSA PRIVATE KEY-----")

    assert txt.startswith("v=DKIM1; k=rsa; p=")
    public = serialization.load_der_public_key(base64.b64decode(txt.removeprefix("v=DKIM1; k=rsa; p=")))
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.public_numbers() == private.public_key().public_numbers()


def test_signed_message_verifies(key: tuple[bytes, str]) -> None:
    private_pem, txt = key
    original = message()
    signed = sign_message(original, domain="example.com", selector="s1", private_pem=private_pem)

    assert signed.endswith(original)
    assert dkim.verify(signed, dnsfunc=dns_for(txt))


def test_signature_tags_and_signed_headers(key: tuple[bytes, str]) -> None:
    private_pem, _ = key
    signed = sign_message(message(), domain="example.com", selector="s1", private_pem=private_pem, signed_at=SIGNED_AT)
    parsed = email.message_from_bytes(signed, policy=email.policy.default)
    value = "".join(str(parsed["DKIM-Signature"]).split())
    tags = dict(tag.split("=", 1) for tag in value.split(";") if tag)

    assert tags["a"] == "rsa-sha256"
    assert tags["c"] == "relaxed/relaxed"
    assert tags["d"] == "example.com"
    assert tags["s"] == "s1"
    assert tags["t"] == str(int(SIGNED_AT.timestamp()))
    assert tags["h"].split(":") == [
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "reply-to",
        "mime-version",
        "content-type",
        "list-unsubscribe",
        "list-unsubscribe-post",
    ]
    assert all(len(line) <= 78 for line in signed.split(b"\r\n\r\n", 1)[0].split(b"\r\n"))


def test_absent_optional_headers_are_not_listed(key: tuple[bytes, str]) -> None:
    private_pem, txt = key
    signer = DkimSigner(domain="example.com", selector="s1", private_pem=private_pem)
    signed = signer.sign(message(list_unsubscribe=None))

    assert b"list-unsubscribe" not in signed.split(b"\r\n\r\n", 1)[0].lower()
    assert dkim.verify(signed, dnsfunc=dns_for(txt))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"text  with", b"text with!"),  # body
        (b"To: bob@example.org", b"To: eve@example.org"),  # signed header
        (b"Message-ID: <m1@", b"Message-ID: <m2@"),
        (b"List-Unsubscribe: <https://example.com/u/t1>", b"List-Unsubscribe: <https://evil.example/u/t1>"),
    ],
)
def test_tampering_fails_verification(key: tuple[bytes, str], old: bytes, new: bytes) -> None:
    private_pem, txt = key
    signed = sign_message(message(), domain="example.com", selector="s1", private_pem=private_pem)
    assert old in signed

    assert not dkim.verify(signed.replace(old, new, 1), dnsfunc=dns_for(txt))


def test_relaxed_canonicalization_survives_whitespace_changes(key: tuple[bytes, str]) -> None:
    private_pem, txt = key
    signed = sign_message(message(), domain="example.com", selector="s1", private_pem=private_pem)
    # Relays may rewrap headers or pad whitespace; relaxed/relaxed (RFC 6376 3.4.2, 3.4.4) tolerates it.
    rewrapped = signed.replace(b"To: bob@example.org", b"To:   bob@example.org  ").replace(
        b"text  with   spaces", b"text with spaces"
    )

    assert dkim.verify(rewrapped, dnsfunc=dns_for(txt))


def test_another_key_fails_verification(key: tuple[bytes, str]) -> None:
    private_pem, _ = key
    _, other_txt = generate_dkim_key()
    signed = sign_message(message(), domain="example.com", selector="s1", private_pem=private_pem)

    assert not dkim.verify(signed, dnsfunc=dns_for(other_txt))


def test_signed_message_can_be_sent_as_smtp_data(key: tuple[bytes, str]) -> None:
    private_pem, _ = key
    signed = sign_message(message(), domain="example.com", selector="s1", private_pem=private_pem)

    assert b"\r\n..a line starting with a dot" in to_smtp_data(signed)


def test_unusable_keys_and_names_are_rejected(key: tuple[bytes, str]) -> None:
    private_pem, _ = key
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(DkimError, match="not an RSA key"):
        DkimSigner(domain="example.com", selector="s1", private_pem=ec_pem)
    with pytest.raises(DkimError, match="PEM"):
        DkimSigner(domain="example.com", selector="s1", private_pem=b"garbage")
    with pytest.raises(DkimError, match="selector"):
        DkimSigner(domain="example.com", selector="s1; x=y", private_pem=private_pem)
    with pytest.raises(DkimError, match="From"):
        sign_message(b"To: a@b.example\r\n\r\nbody\r\n", domain="example.com", selector="s1", private_pem=private_pem)


def test_unicode_domain_is_signed_as_a_label(key: tuple[bytes, str]) -> None:
    private_pem, txt = key
    signed = sign_message(message(), domain="bücher.example", selector="s1", private_pem=private_pem)

    assert b"d=xn--bcher-kva.example;" in signed
    assert dkim.verify(signed, dnsfunc=dns_for(txt, b"s1._domainkey.xn--bcher-kva.example."))


def test_sign_speed(key: tuple[bytes, str]) -> None:
    """Printed with -s: the RSA operation dominates, so a signer is loaded once per run."""
    private_pem, _ = key
    signer = DkimSigner(domain="example.com", selector="s1", private_pem=private_pem)
    body = message()
    rounds = 50
    start = time.perf_counter()
    for _ in range(rounds):
        signer.sign(body)
    elapsed = (time.perf_counter() - start) / rounds * 1e3
    print(f"\nDKIM sign of a {len(body)} byte message: {elapsed:.2f} ms")
    assert elapsed < 100
