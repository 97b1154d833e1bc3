"""TC3-HMAC-SHA256 request signing for the benchmarks (Tencent Cloud API 3.0, service `ses`, POST JSON)."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime

SERVICE = "ses"
VERSION = "2020-10-02"
CONTENT_TYPE = "application/json"


def signed_headers(key: tuple[str, str], action: str, body: bytes, *, host: str) -> dict[str, str]:
    """The headers of a signed POST of `body` to `action`, signed over content-type and host."""
    secret_id, secret_key = key
    timestamp = int(time.time())
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{CONTENT_TYPE}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/{SERVICE}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signing_key = _mac(_mac(_mac(("TC3" + secret_key).encode(), date), SERVICE), "tc3_request")
    signature = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "Authorization": f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, "
        f"Signature={signature}",
        "Content-Type": CONTENT_TYPE,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Version": VERSION,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Region": "ap-guangzhou",
    }


def _mac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()
