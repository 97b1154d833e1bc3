"""Tencent Cloud API 3.0 request signatures: TC3-HMAC-SHA256 and legacy v1 (spec 1.7.2-1.7.4).

Pure: parsing and checking work on a ``WireRequest`` snapshot, the secret key and the current
time are passed in, and nothing here reads a clock, a database or the network.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from mailyard.web.tencent.errors import TencentError
from mailyard.web.tencent.wire import WireRequest

TC3_ALGORITHM = "TC3-HMAC-SHA256"
SERVICE = "ses"
# 1.6.2: "Timestamp differs from server time by more than 5 minutes".
MAX_CLOCK_SKEW_SECONDS = 300

_V1_DIGESTS = {"HmacSHA1": "sha1", "HmacSHA256": "sha256"}
_V1_REQUIRED = ("SecretId", "Signature", "Timestamp", "Nonce", "SignatureMethod")
_V1_FIELDS = frozenset({*_V1_REQUIRED, "Token"})
# Printable ASCII without separators that would break "Credential=<id>/<date>/..." (1.7.2).
_SECRET_ID = re.compile(r"[\x21-\x7e]{1,128}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_NONCE = re.compile(r"[0-9]{1,20}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_AUTHORIZATION_FIELDS = ("Credential", "SignedHeaders", "Signature")
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


class SignatureError(TencentError):
    """An ``AuthFailure.*`` answer (1.6.2)."""


@dataclass(frozen=True)
class RequestCredential:
    """Who signed a request and how; parsed, not yet checked."""

    secret_id: str
    algorithm: str  # "TC3-HMAC-SHA256", "HmacSHA1" or "HmacSHA256"
    timestamp: int
    signature: str
    nonce: int | None = None  # v1 only: TC3 has no nonce (1.7.2)
    scope_date: str | None = None  # TC3 only: "<date>/<service>/tc3_request"
    scope_service: str | None = None
    signed_headers: tuple[str, ...] = ()
    token: str | None = None


def parse_credential(wire: WireRequest) -> RequestCredential:
    """Read the credential; ``AuthFailure.InvalidAuthorization`` / ``InvalidSecretId`` if malformed."""
    credential = _parse_tc3(wire) if wire.is_tc3 else _parse_v1(wire)
    if not _SECRET_ID.fullmatch(credential.secret_id):
        raise SignatureError("AuthFailure.InvalidSecretId", "The SecretId is not a valid key id.")
    return credential


def verify(wire: WireRequest, credential: RequestCredential, secret_key: str, now: float) -> None:
    """Check time window, scope and signature, in the order of spec 1.7.2; raise ``SignatureError``."""
    if abs(now - credential.timestamp) > MAX_CLOCK_SKEW_SECONDS:
        raise SignatureError(
            "AuthFailure.SignatureExpire",
            f"The signature expired: the timestamp {credential.timestamp} is more than "
            f"{MAX_CLOCK_SKEW_SECONDS} seconds away from the server time.",
        )
    if credential.algorithm == TC3_ALGORITHM:
        _verify_tc3(wire, credential, secret_key)
    else:
        _verify_v1(wire, credential, secret_key)
    if credential.token:
        # Mailyard issues no temporary credentials, so no session token can be valid (1.7.2 step 6).
        raise SignatureError("AuthFailure.TokenFailure", "Temporary credentials (Token) are not supported.")


def _invalid(message: str) -> SignatureError:
    return SignatureError("AuthFailure.InvalidAuthorization", message)


def _mismatch(message: str = "The request signature does not match.") -> SignatureError:
    return SignatureError("AuthFailure.SignatureFailure", message)


# ---- TC3-HMAC-SHA256 (1.7.2) -------------------------------------------------------------------


def _parse_tc3(wire: WireRequest) -> RequestCredential:
    fields = _authorization_fields(wire.header("authorization"))
    scope = fields["Credential"].split("/")
    if len(scope) != 4 or scope[3] != "tc3_request" or not _DATE.fullmatch(scope[1]):
        raise _invalid("Credential must be <SecretId>/<YYYY-MM-DD>/<service>/tc3_request.")
    signed_headers = tuple(name.strip().lower() for name in fields["SignedHeaders"].split(";"))
    if "content-type" not in signed_headers or "host" not in signed_headers:
        raise _invalid("SignedHeaders must include content-type and host.")
    if any(wire.header(name) is None for name in signed_headers):
        raise _invalid("A header named in SignedHeaders is missing from the request.")
    return RequestCredential(
        secret_id=scope[0],
        algorithm=TC3_ALGORITHM,
        timestamp=_integer(wire.header("x-tc-timestamp"), _TIMESTAMP, "X-TC-Timestamp"),
        signature=fields["Signature"],
        scope_date=scope[1],
        scope_service=scope[2],
        signed_headers=signed_headers,
        token=wire.header("x-tc-token") or None,
    )


def _authorization_fields(header: str | None) -> dict[str, str]:
    if header is None:
        raise _invalid("The Authorization header is missing.")
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != TC3_ALGORITHM:
        raise _invalid(f"The Authorization header must start with {TC3_ALGORITHM}.")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, equals, value = part.strip().partition("=")
        if not equals or name not in _AUTHORIZATION_FIELDS or name in fields or not value:
            raise _invalid("The Authorization header is malformed.")
        fields[name] = value
    if len(fields) != len(_AUTHORIZATION_FIELDS):
        raise _invalid("The Authorization header needs Credential, SignedHeaders and Signature.")
    return fields


def _verify_tc3(wire: WireRequest, credential: RequestCredential, secret_key: str) -> None:
    service = credential.scope_service or ""
    if service not in _scope_services(wire):
        raise _mismatch(f"The credential scope service must be {SERVICE}.")
    date = datetime.fromtimestamp(credential.timestamp, UTC).strftime("%Y-%m-%d")
    if credential.scope_date != date:
        raise _mismatch("The credential scope date is not the UTC date of X-TC-Timestamp.")
    signing_key = _tc3_signing_key(secret_key, date, service)
    timestamp_text = wire.header("x-tc-timestamp") or ""
    payload_hash = _tc3_payload_hash(wire)
    # Every variant below is a full HMAC under the same secret over the same timestamp, headers and body,
    # so accepting each costs nothing in security (spec 5.2):
    # - the Python SDK signs header values verbatim, Tencent's documented sample lower-cases them;
    # - the Node.js SDK signs the host without its port while sending the port in the Host header.
    for host in _canonical_hosts(wire):
        for lower_values in (False, True):
            canonical = _tc3_canonical_request(wire, credential.signed_headers, payload_hash, lower_values, host)
            string_to_sign = "\n".join(
                [TC3_ALGORITHM, timestamp_text, f"{date}/{service}/tc3_request", _sha256_hex(canonical.encode())]
            )
            expected = hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()
            if hmac.compare_digest(expected.encode(), credential.signature.encode()):
                return
    raise _mismatch()


def _scope_services(wire: WireRequest) -> frozenset[str]:
    """`ses`, or what the Node.js SDK takes for the service: the endpoint up to its first dot (`127` for
    127.0.0.1:8080, `mailyard` for mailyard.example.com, `localhost:8080` for localhost:8080)."""
    sent = wire.host.strip()
    return frozenset({SERVICE, sent.split(".", 1)[0], _host_without_port(sent).split(".", 1)[0]}) - {""}


def _canonical_hosts(wire: WireRequest) -> tuple[str, ...]:
    """The Host header as sent and, when it names a port, without it."""
    sent = wire.host.strip()
    bare = _host_without_port(sent)
    return (sent, bare) if bare != sent else (sent,)


def _host_without_port(host: str) -> str:
    host = host.strip()
    if host.startswith("["):  # [::1]:8080
        return host[: host.find("]") + 1] if "]" in host else host
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() else host


def _tc3_payload_hash(wire: WireRequest) -> str:
    # GET signs an empty payload; POST the raw body bytes; opted-out clients a fixed word (1.7.2).
    if wire.header("x-tc-content-sha256") == _UNSIGNED_PAYLOAD:
        return _sha256_hex(_UNSIGNED_PAYLOAD.encode())
    return _sha256_hex(b"" if wire.method == "GET" else wire.body)


def _tc3_canonical_request(
    wire: WireRequest, signed_headers: tuple[str, ...], payload_hash: str, lower_values: bool, host: str
) -> str:
    # GET signs the query exactly as sent, never re-encoded (1.7.3); POST signs an empty query.
    lines = []
    for name in signed_headers:
        value = host if name == "host" else (wire.header(name) or "").strip()
        lines.append(f"{name}:{value.lower() if lower_values else value}\n")
    return "\n".join(
        [
            wire.method,
            "/",
            wire.raw_query if wire.method == "GET" else "",
            "".join(lines),
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def _tc3_signing_key(secret_key: str, date: str, service: str) -> bytes:
    k_date = hmac.new(("TC3" + secret_key).encode(), date.encode(), hashlib.sha256).digest()
    k_service = hmac.new(k_date, service.encode(), hashlib.sha256).digest()
    return hmac.new(k_service, b"tc3_request", hashlib.sha256).digest()


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- legacy v1 HmacSHA1 / HmacSHA256 (1.7.4) ---------------------------------------------------


def _parse_v1(wire: WireRequest) -> RequestCredential:
    fields: dict[str, str] = {}
    for key, value in wire.picked_pairs(_V1_FIELDS):
        if key in fields:
            raise _invalid(f"The parameter {key} appears more than once.")
        fields[key] = value
    missing = [key for key in _V1_REQUIRED if not fields.get(key)]
    if missing:
        raise _invalid(f"The request has no Authorization header and lacks {', '.join(missing)}.")
    if fields["SignatureMethod"] not in _V1_DIGESTS:
        raise _invalid("SignatureMethod must be HmacSHA1 or HmacSHA256.")
    return RequestCredential(
        secret_id=fields["SecretId"],
        algorithm=fields["SignatureMethod"],
        timestamp=_integer(fields["Timestamp"], _TIMESTAMP, "Timestamp"),
        signature=fields["Signature"],
        nonce=_integer(fields["Nonce"], _NONCE, "Nonce"),
        token=fields.get("Token") or None,
    )


def _verify_v1(wire: WireRequest, credential: RequestCredential, secret_key: str) -> None:
    # Signing string: METHOD + Host + path + "?" + every pair but Signature, keys with "_" -> ".",
    # sorted by that key, values decoded (not URL-encoded); then Base64(HMAC(secret, string)).
    pairs = sorted(
        ((key.replace("_", "."), value) for key, value in wire.form_pairs() if key != "Signature"),
        key=lambda pair: pair[0],
    )
    query = "&".join(f"{key}={value}" for key, value in pairs)
    message = f"{wire.method}{wire.host}{wire.path}?{query}"
    digest = _V1_DIGESTS[credential.algorithm]
    mac = hmac.new(secret_key.encode(), message.encode(), digest).digest()
    expected = base64.b64encode(mac)
    if not hmac.compare_digest(expected, credential.signature.encode()):
        raise _mismatch()


def _integer(text: str | None, pattern: re.Pattern[str], name: str) -> int:
    if text is None or not pattern.fullmatch(text):
        raise _invalid(f"{name} must be a non-negative integer.")
    return int(text)
