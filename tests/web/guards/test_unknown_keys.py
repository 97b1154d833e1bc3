"""A made-up key id, tried again and again on any door, costs one database lookup per few seconds, not one per
request (each lookup is a transaction; on SQLite a write lock)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from mailyard import bootstrap
from mailyard.web.app import WebOptions, create_app

pytestmark = pytest.mark.timeout(60)
UNKNOWN = "AKIDmadeUpKey0000000000000000000"
TC3 = {
    "authorization": f"TC3-HMAC-SHA256 Credential={UNKNOWN}/2026-01-01/ses/tc3_request, "
    "SignedHeaders=content-type;host, Signature=" + "0" * 64,
    "content-type": "application/json",
    "x-tc-action": "ListSendTasks",
    "x-tc-version": "2020-10-02",
    "x-tc-timestamp": "1767225600",
}
RPC = {
    "Action": "GetMailTaskList",
    "Version": "2022-01-01",
    "AccessKeyId": UNKNOWN,
    "Signature": "x",
    "Timestamp": "2026-01-01T00:00:00Z",
    "SignatureNonce": "n",
    "SignatureMethod": "HMAC-SHA1",
}


async def test_unknown_key_ids_are_looked_up_once_for_every_door(runtime: bootstrap.Runtime, monkeypatch) -> None:
    lookups: list[str] = []
    real: Callable[[str], Awaitable[Any]] = runtime.services.access.lookup_secret

    async def counting(secret_id: str) -> Any:
        lookups.append(secret_id)
        return await real(secret_id)

    monkeypatch.setattr(runtime.services.access, "lookup_secret", counting)
    app = create_app(runtime.services, WebOptions(client_rate_limit=10_000))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mailyard.test") as http:
        for _ in range(20):
            tencent = (await http.post("/", headers=TC3, content=b"{}")).json()
            assert tencent["Response"]["Error"]["Code"] == "AuthFailure.SecretIdNotFound"
            quick_bi = await http.post("/", params=RPC)
            assert quick_bi.json()["Code"] == "InvalidAccessKeyId.NotFound"
            assert (await http.get("/v1/me", auth=(UNKNOWN, "secret"))).status_code == 401
    assert lookups == [UNKNOWN, UNKNOWN]  # the cloud doors share one cache, /v1 keeps its own
