# ruff: noqa: E501  (captured requests are kept verbatim, long lines included)
"""Raw Tencent requests captured from the official SDK, copied verbatim from spec Part 3.2.

All credentials are the spec's fake ones; the capture ran at unix time ``CAPTURE_TIME``.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from mailyard.web.tencent.wire import WireRequest

SECRET_ID = "AKIDfakeSecretId0123456789EXAMPLE"
SECRET_KEY = "fakeSecretKeyABCDEFGHIJKLMN0123456"
CAPTURE_TIME = 1795369742
EDGE_CAPTURE_TIME = 1795369937

CAPTURED: dict[str, str] = {
    "0": r"""POST / HTTP/1.1
User-Agent: python-requests/2.34.2
Accept-Encoding: gzip, deflate
Accept: */*
Connection: keep-alive
X-TC-TraceId: 416dd84e-dddd-45df-8d2a-0fe82acfc737
Content-Type: application/json
Host: 127.0.0.1:18765
X-TC-Action: ListSendTasks
X-TC-RequestClient: SDK_PYTHON_3.1.135
X-TC-Timestamp: 1795369742
X-TC-Version: 2020-10-02
X-TC-Region: ap-guangzhou
X-TC-Language: zh-CN
Authorization: TC3-HMAC-SHA256 Credential=AKIDfakeSecretId0123456789EXAMPLE/2026-11-22/ses/tc3_request, SignedHeaders=content-type;host, Signature=c8f39d5c23c94eefb42455b3b1996c1f91d2219eaa551b3b50d55c13374bbf91
Content-Length: 41

{"Offset": 0, "Limit": 10, "TaskType": 3}
""",
    "1": r"""POST / HTTP/1.1
User-Agent: python-requests/2.34.2
Accept-Encoding: gzip, deflate
Accept: */*
Connection: keep-alive
X-TC-TraceId: b0ad94a3-04db-4d2e-9a3a-31b48a09e60f
Content-Type: application/json
Host: 127.0.0.1:18765
X-TC-Action: BatchSendEmail
X-TC-RequestClient: SDK_PYTHON_3.1.135
X-TC-Timestamp: 1795369742
X-TC-Version: 2020-10-02
X-TC-Region: ap-guangzhou
X-TC-Language: zh-CN
Authorization: TC3-HMAC-SHA256 Credential=AKIDfakeSecretId0123456789EXAMPLE/2026-11-22/ses/tc3_request, SignedHeaders=content-type;host, Signature=d46f70bc61fbdac7b135000e753c34590c218845e9b3b1eaf9b26ae13ee149e1
Content-Length: 347

{"FromEmailAddress": "Ops <noreply@mail.example.com>", "ReceiverId": 77, "Subject": "Weekly digest \u5468\u62a5", "TaskType": 3, "ReplyToAddresses": "reply@example.com", "Template": {"TemplateID": 42, "TemplateData": "{\"name\":\"x\"}"}, "CycleParam": {"BeginTime": "2024-05-01 09:00:00", "IntervalTime": 168}, "Unsubscribe": "0", "ADLocation": 0}
""",
    "2": r"""POST / HTTP/1.1
User-Agent: python-requests/2.34.2
Accept-Encoding: gzip, deflate
Accept: */*
Connection: keep-alive
X-TC-TraceId: 83ee8a17-f73f-4b19-b626-abfb163923f1
Content-Type: application/json
Host: 127.0.0.1:18765
X-TC-Action: BatchSendEmail
X-TC-RequestClient: SDK_PYTHON_3.1.135
X-TC-Timestamp: 1795369742
X-TC-Version: 2020-10-02
X-TC-Region: ap-guangzhou
X-TC-Language: zh-CN
Authorization: TC3-HMAC-SHA256 Credential=AKIDfakeSecretId0123456789EXAMPLE/2026-11-22/ses/tc3_request, SignedHeaders=content-type;host, Signature=3500e282850fa7f7b4d2e6e7960c590e6c96ea3b375ebd56e854cbf772e4f973
Content-Length: 332

{"FromEmailAddress": "Ops <noreply@mail.example.com>", "ReceiverId": 77, "Subject": "force-error", "TaskType": 3, "ReplyToAddresses": "reply@example.com", "Template": {"TemplateID": 42, "TemplateData": "{\"name\":\"x\"}"}, "CycleParam": {"BeginTime": "2024-05-01 09:00:00", "IntervalTime": 168}, "Unsubscribe": "0", "ADLocation": 0}
""",
    "3": r"""POST / HTTP/1.1
User-Agent: python-requests/2.34.2
Accept-Encoding: gzip, deflate
Accept: */*
Connection: keep-alive
X-Test-CT: application/json; charset=utf-8
X-TC-TraceId: 462060c9-5d6a-4e70-b061-21e81114d7e6
Content-Type: application/json
Host: 127.0.0.1:18765
X-TC-Action: BatchSendEmail
X-TC-RequestClient: SDK_PYTHON_3.1.135
X-TC-Timestamp: 1795369742
X-TC-Version: 2020-10-02
X-TC-Region: ap-guangzhou
X-TC-Language: zh-CN
Authorization: TC3-HMAC-SHA256 Credential=AKIDfakeSecretId0123456789EXAMPLE/2026-11-22/ses/tc3_request, SignedHeaders=content-type;host, Signature=3500e282850fa7f7b4d2e6e7960c590e6c96ea3b375ebd56e854cbf772e4f973
Content-Length: 332

{"FromEmailAddress": "Ops <noreply@mail.example.com>", "ReceiverId": 77, "Subject": "force-error", "TaskType": 3, "ReplyToAddresses": "reply@example.com", "Template": {"TemplateID": 42, "TemplateData": "{\"name\":\"x\"}"}, "CycleParam": {"BeginTime": "2024-05-01 09:00:00", "IntervalTime": 168}, "Unsubscribe": "0", "ADLocation": 0}
""",
    "4": r"""GET /?Offset=0&Limit=10&Status=5 HTTP/1.1
User-Agent: python-requests/2.34.2
Accept-Encoding: gzip, deflate
Accept: */*
Connection: keep-alive
X-TC-TraceId: c95f0387-26d7-44e8-9132-90adf06d7b91
Content-Type: application/x-www-form-urlencoded
Host: 127.0.0.1:18765
X-TC-Action: ListSendTasks
X-TC-RequestClient: SDK_PYTHON_3.1.135
X-TC-Timestamp: 1795369742
X-TC-Version: 2020-10-02
X-TC-Region: ap-guangzhou
X-TC-Language: zh-CN
Authorization: TC3-HMAC-SHA256 Credential=AKIDfakeSecretId0123456789EXAMPLE/2026-11-22/ses/tc3_request, SignedHeaders=content-type;host, Signature=761cf84b65729340b3f0ef2ed1e3d81ea04401d0492a533092e81cbe12d0ae61

""",
    "5": r"""GET /?FromEmailAddress=noreply%40mail.example.com&ReceiverId=78&Subject=Launch&TaskType=2&Template.TemplateID=43&Template.TemplateData=%7B%22a%22%3A%22b+c%22%7D&TimedParam.BeginTime=2024-05-03+08%3A00%3A00 HTTP/1.1
User-Agent: python-requests/2.34.2
Accept-Encoding: gzip, deflate
Accept: */*
Connection: keep-alive
X-TC-TraceId: d29c401a-13be-4db2-87c3-57a67bd8b2b2
Content-Type: application/x-www-form-urlencoded
Host: 127.0.0.1:18765
X-TC-Action: BatchSendEmail
X-TC-RequestClient: SDK_PYTHON_3.1.135
X-TC-Timestamp: 1795369742
X-TC-Version: 2020-10-02
X-TC-Region: ap-guangzhou
X-TC-Language: zh-CN
Authorization: TC3-HMAC-SHA256 Credential=AKIDfakeSecretId0123456789EXAMPLE/2026-11-22/ses/tc3_request, SignedHeaders=content-type;host, Signature=3e53aa82fafbfc8a995bda669d5f12aad3b50b9ed0272ed7175b8d558ab8c6be

""",
    "6": r"""POST / HTTP/1.1
User-Agent: python-requests/2.34.2
Accept-Encoding: gzip, deflate
Accept: */*
Connection: keep-alive
X-TC-TraceId: c87e4c35-face-4ec1-bf07-c034beb75757
Content-Type: application/x-www-form-urlencoded
Host: 127.0.0.1:18765
Content-Length: 300

Offset=0&Limit=5&Action=ListSendTasks&RequestClient=SDK_PYTHON_3.1.135&Nonce=5789530314388348650&Timestamp=1795369742&Version=2020-10-02&Region=ap-guangzhou&SecretId=AKIDfakeSecretId0123456789EXAMPLE&SignatureMethod=HmacSHA256&Language=zh-CN&Signature=%2Ba9z6GqHOEQblp1rHrtJTvWX9ZJiI5rJOfSm7dxWpVQ%3D
""",
    "7": r"""GET /?FromEmailAddress=noreply%40mail.example.com&ReceiverId=78&Subject=Hi&TaskType=1&Template.TemplateID=43&Template.TemplateData=%7B%22k%22%3A%22v%22%7D&Action=BatchSendEmail&RequestClient=SDK_PYTHON_3.1.135&Nonce=2053689908834840052&Timestamp=1795369742&Version=2020-10-02&Region=ap-guangzhou&SecretId=AKIDfakeSecretId0123456789EXAMPLE&SignatureMethod=HmacSHA1&Language=en-US&Signature=gWN2x1Rbq789mA6aP%2BLIpu3yEZ8%3D HTTP/1.1
User-Agent: python-requests/2.34.2
Accept-Encoding: gzip, deflate
Accept: */*
Connection: keep-alive
X-TC-TraceId: c0755f71-380a-48a7-adde-754c2c76a794
Content-Type: application/x-www-form-urlencoded
Host: 127.0.0.1:18765

""",
    "edge10": r"""GET /?FromEmailAddress=a%40b.c&Subject=s&Destination.0=x%40y.z&Destination.1=w%40y.z&Template.TemplateID=1&Template.TemplateData=%7B%7D&Attachments.0.FileName=f.txt&Attachments.0.Content=aGk%3D HTTP/1.1
User-Agent: python-requests/2.34.2
Accept-Encoding: gzip, deflate
Accept: */*
Connection: keep-alive
X-TC-TraceId: e08129b1-e4e8-4336-bd4d-990c5f84bcd2
Content-Type: application/x-www-form-urlencoded
Host: 127.0.0.1:18765
X-TC-Action: SendEmail
X-TC-RequestClient: SDK_PYTHON_3.1.135
X-TC-Timestamp: 1795369937
X-TC-Version: 2020-10-02
X-TC-Region: ap-guangzhou
X-TC-Token: fakeSessionToken123
X-TC-Language: zh-CN
Authorization: TC3-HMAC-SHA256 Credential=AKIDfakeSecretId0123456789EXAMPLE/2026-11-22/ses/tc3_request, SignedHeaders=content-type;host, Signature=57da93f0e9132604430b8b3fd20241c6fbb4b460a8b4f3ede6718859733c4712

""",
}


def wire_from_raw(raw: str) -> WireRequest:
    """Rebuild the request exactly as the server received it (``\\r\\n`` framing aside)."""
    head, _, body = raw.partition("\n\n")
    request_line, *header_lines = head.split("\n")
    method, target, _ = request_line.split(" ")
    path, _, query = target.partition("?")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(": ")
        headers.setdefault(name.lower(), value)
    body_bytes = body.encode("utf-8")[: int(headers.get("content-length", "0"))]
    return WireRequest(method=method, path=path, raw_query=query, headers=headers, body=body_bytes)


def replace_header(wire: WireRequest, name: str, value: str | None) -> WireRequest:
    headers = {key: val for key, val in wire.headers.items() if key != name}
    if value is not None:
        headers[name] = value
    return WireRequest(wire.method, wire.path, wire.raw_query, headers, wire.body)


def tc3_authorization(
    *,
    method: str,
    headers: dict[str, str],
    signed: tuple[str, ...],
    raw_query: str,
    body: bytes,
    timestamp: int,
    secret_id: str = SECRET_ID,
    secret_key: str = SECRET_KEY,
    lower_values: bool = False,
    service: str = "ses",
    signed_host: str | None = None,
) -> str:
    """An independent TC3 signer after spec 3.4, for requests the SDK cannot produce.

    `service` and `signed_host` sign as other clients do (the Node.js SDK: the endpoint's first label, the host
    without its port)."""
    headers = {**headers, "host": signed_host} if signed_host is not None else headers
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical_headers = "".join(
        f"{name}:{headers[name].strip().lower() if lower_values else headers[name].strip()}\n" for name in signed
    )
    payload = b"" if method == "GET" else body
    if headers.get("x-tc-content-sha256") == "UNSIGNED-PAYLOAD":
        payload = b"UNSIGNED-PAYLOAD"
    canonical = "\n".join(
        [
            method,
            "/",
            raw_query if method == "GET" else "",
            canonical_headers,
            ";".join(signed),
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()])

    def mac(key: bytes, message: str) -> bytes:
        return hmac.new(key, message.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders={';'.join(signed)}, Signature={signature}"
