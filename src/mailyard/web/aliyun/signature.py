"""Alibaba Cloud request signatures: ACS3-HMAC-SHA256 (V3, spec 2.4.2) and legacy RPC HMAC-SHA1 (V2, 2.4.3).

Pure, no I/O and no clock: `read_credential` pulls the claimed identity and the exact string the client must
have signed out of a `WireRequest`; `verify` checks it against the secret at a given `now`. The caller looks
the secret up in between (an unknown key is the door's `InvalidAccessKeyId.NotFound`).
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field
from urllib.parse import quote

from mailyard.web.aliyun.errors import AliyunError, missing_parameter
from mailyard.web.aliyun.wire import Pairs, WireRequest

ACS3_HMAC_SHA256 = "ACS3-HMAC-SHA256"
RPC_HMAC_SHA1 = "HMAC-SHA1"
# The real service accepts x-acs-date / Timestamp within 15 minutes of its own time (spec 2.4.2, docs).
TIME_WINDOW_SECONDS = 15 * 60
MAX_NONCE_LENGTH = 128

# V3 signs every header the SDK sets (spec 5.3); these must be among them, or a man in the middle could swap
# the action, replay with a fresh nonce or date, or change the body without breaking the signature.
REQUIRED_SIGNED_HEADERS = (
    "host",
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
)
_SIGNATURE_HEX = re.compile(r"[0-9a-f]{64}")
_HEADER_NAME = re.compile(r"[a-z0-9-]+")
_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,6})?Z")


class SignatureError(AliyunError):
    """A request whose signature, credential or timestamp is refused, with the gateway's code."""


@dataclass(frozen=True)
class Credential:
    """Who claims to have signed a request, and what they must have signed."""

    access_key_id: str
    algorithm: str
    timestamp: float  # unix seconds of x-acs-date (V3) or Timestamp (V2)
    nonce: str
    signature: str = field(repr=False)
    string_to_sign: str = field(repr=False)


def percent_encode(text: str) -> str:
    """RFC 3986 encoding used by both signatures: space → %20 (not '+'), '*' → %2A, '~' kept (spec 2.4.2)."""
    return quote(text, safe="~", encoding="utf-8")


def read_credential(wire: WireRequest) -> Credential:
    """The credential of a V3 request (Authorization header) or else of a V2 one (`Signature` param)."""
    if wire.is_header_signed():
        return _read_acs3(wire)
    return _read_rpc(wire)


def verify(credential: Credential, secret: str, now: float, window: float = TIME_WINDOW_SECONDS) -> None:
    """Raise `SignatureError` unless the timestamp is within `window` of `now` and the signature matches."""
    if abs(now - credential.timestamp) > window:
        raise SignatureError("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
    expected = _sign(credential.algorithm, secret, credential.string_to_sign)
    if not hmac.compare_digest(expected.encode(), credential.signature.encode("utf-8")):
        # As Alibaba's gateway words it: the legacy SDK (aliyun-python-sdk-core) reads the string to sign after
        # the colon to tell a wrong secret from a signing bug, and fails with IndexError when there is none.
        # It is made from the request alone and holds nothing secret.
        raise SignatureError(
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation. "
            f"server string to sign is:{credential.string_to_sign}",
        )


def parse_timestamp(text: str) -> float:
    """Unix seconds of a UTC `YYYY-MM-DDTHH:MM:SSZ` stamp (optionally with fractional seconds)."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise _bad_timestamp(text)
    try:
        parsed = time.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
    except ValueError as error:
        raise _bad_timestamp(text) from error
    return calendar.timegm(parsed) + float(match.group(2) or 0)


def _bad_timestamp(text: str) -> SignatureError:
    return SignatureError(
        "InvalidTimeStamp.Format", f"Specified time stamp or date value is not well formatted: {text!r}."
    )


def _incomplete(detail: str) -> SignatureError:
    return SignatureError(
        "IncompleteSignature", f"The request signature does not conform to Aliyun standards. {detail}"
    )


def _sign(algorithm: str, secret: str, string_to_sign: str) -> str:
    message = string_to_sign.encode("utf-8")
    if algorithm == ACS3_HMAC_SHA256:
        return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    # V2 keys HMAC-SHA1 with the secret plus '&' (spec 2.4.3).
    digest = hmac.new((secret + "&").encode("utf-8"), message, hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


# ---- V3: ACS3-HMAC-SHA256 (spec 2.4.2) ----


def _read_acs3(wire: WireRequest) -> Credential:
    access_key_id, signed_headers, signature = _parse_authorization(wire.header("authorization") or "")
    missing = [name for name in REQUIRED_SIGNED_HEADERS if name not in signed_headers]
    if missing:
        raise _incomplete(f"SignedHeaders must include {', '.join(missing)}.")
    payload_hash = _checked_payload_hash(wire)
    canonical_request = "\n".join(
        [
            wire.method,
            wire.path,
            _canonical_query(wire.query),
            _canonical_headers(wire, signed_headers),
            ";".join(signed_headers),
            payload_hash,
        ]
    )
    string_to_sign = f"{ACS3_HMAC_SHA256}\n{hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()}"
    return Credential(
        access_key_id=access_key_id,
        algorithm=ACS3_HMAC_SHA256,
        timestamp=parse_timestamp(wire.header("x-acs-date") or ""),
        nonce=_checked_nonce(wire.header("x-acs-signature-nonce") or ""),
        signature=signature,
        string_to_sign=string_to_sign,
    )


def _parse_authorization(value: str) -> tuple[str, list[str], str]:
    """`ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=hex` → (AK, [a, b], hex)."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ACS3_HMAC_SHA256:
        raise _incomplete(f"Only {ACS3_HMAC_SHA256} is supported in the Authorization header.")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, equals, item = part.strip().partition("=")
        if not equals or key in fields:
            raise _incomplete("The Authorization header is malformed.")
        fields[key] = item
    if set(fields) != {"Credential", "SignedHeaders", "Signature"} or not fields["Credential"]:
        raise _incomplete("The Authorization header needs Credential, SignedHeaders and Signature.")
    names = fields["SignedHeaders"].split(";")
    if len(set(names)) != len(names) or not all(_HEADER_NAME.fullmatch(name) for name in names):
        raise _incomplete("SignedHeaders is malformed.")
    if not _SIGNATURE_HEX.fullmatch(fields["Signature"]):
        raise _incomplete("Signature must be 64 lower-case hex digits.")
    return fields["Credential"], names, fields["Signature"]


def _checked_payload_hash(wire: WireRequest) -> str:
    # The body is covered only through this header (spec 2.4.2, server-side recipe).
    claimed = wire.header("x-acs-content-sha256") or ""
    actual = hashlib.sha256(wire.body).hexdigest()
    if not hmac.compare_digest(claimed.encode("utf-8"), actual.encode()):
        raise SignatureError(
            "SignatureDoesNotMatch", "The x-acs-content-sha256 header does not match the request body."
        )
    return actual


def _canonical_query(pairs: Pairs) -> str:
    # Rebuilt from decoded values: the wire has 'alice+smith', the signer hashed 'alice%20smith' (spec 5.3).
    return "&".join(f"{percent_encode(key)}={percent_encode(value)}" for key, value in sorted(pairs))


def _canonical_headers(wire: WireRequest, signed_headers: list[str]) -> str:
    lines = []
    for name in signed_headers:
        values = wire.header_values(name)
        if not values:
            raise _incomplete(f"The signed header {name} is missing.")
        # Repeated headers are joined sorted with ',', as the SDK's signer does.
        lines.append(f"{name}:{','.join(sorted(value.strip() for value in values))}\n")
    return "".join(lines)


def _checked_nonce(nonce: str) -> str:
    if not nonce or len(nonce) > MAX_NONCE_LENGTH:
        raise _incomplete(f"The signature nonce must be 1 to {MAX_NONCE_LENGTH} characters.")
    return nonce


# ---- V2: legacy RPC HMAC-SHA1 (spec 2.4.3) ----


def _read_rpc(wire: WireRequest) -> Credential:
    signed = wire.query + wire.form  # V2 signs query and form params alike
    params = _single_values(signed)
    for name in ("Signature", "AccessKeyId", "Timestamp", "SignatureNonce", "SignatureMethod"):
        if not params.get(name):
            raise SignatureError("MissingParameter", missing_parameter(name).message)
    if params["SignatureMethod"] != RPC_HMAC_SHA1:
        raise _incomplete(f"SignatureMethod must be {RPC_HMAC_SHA1}.")
    if params.get("SignatureVersion", "1.0") != "1.0":
        raise _incomplete("SignatureVersion must be 1.0.")
    canonical = "&".join(
        f"{percent_encode(key)}={percent_encode(value)}" for key, value in sorted(signed) if key != "Signature"
    )
    return Credential(
        access_key_id=params["AccessKeyId"],
        algorithm=RPC_HMAC_SHA1,
        timestamp=parse_timestamp(params["Timestamp"]),
        nonce=_checked_nonce(params["SignatureNonce"]),
        signature=params["Signature"],
        string_to_sign=f"{wire.method}&{percent_encode('/')}&{percent_encode(canonical)}",
    )


def _single_values(pairs: Pairs) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in pairs:
        if key in values:
            raise _incomplete(f"The parameter {key} is repeated.")
        values[key] = value
    return values
