"""Alibaba Cloud RPC signature V2 (HMAC-SHA1 over the sorted query) for the benchmarks' Quick BI requests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from urllib.parse import quote

VERSION = "2022-01-01"


def signed_query(key: tuple[str, str], action: str, parameters: dict[str, str]) -> str:
    """The query string of a signed GET of `action`, with a fresh nonce and the current time."""
    access_key_id, secret = key
    values = {
        **parameters,
        "Action": action,
        "Version": VERSION,
        "Format": "JSON",
        "AccessKeyId": access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": uuid.uuid4().hex,
        "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    canonical = "&".join(f"{_encode(name)}={_encode(value)}" for name, value in sorted(values.items()))
    to_sign = f"GET&{_encode('/')}&{_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return f"{canonical}&Signature={_encode(base64.b64encode(digest).decode())}"


def _encode(text: str) -> str:
    return quote(text, safe="~")
