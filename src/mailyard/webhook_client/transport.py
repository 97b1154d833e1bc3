"""The `WebhookTransport` port over httpx and standardwebhooks.

A user configures webhook URLs, so posting must not let them make Mailyard call internal services: the URL's
host is resolved before every post and refused when any of its addresses is not a global one (loopback,
private, link-local, reserved...), unless the installation allows private addresses. No redirect is followed,
time-outs are short and only the first bytes of an answer are read.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from standardwebhooks import Webhook

KEPT_BYTES = 500
RESOLVE_SECONDS = 5.0
USER_AGENT = "Mailyard-Webhooks/1"


class HttpWebhookTransport:
    def __init__(self, *, allow_private: bool = False, timeout_seconds: float = 10.0) -> None:
        self._allow_private = allow_private
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds, connect=5.0),
            follow_redirects=False,
            trust_env=False,  # a proxy from the environment must not carry webhooks elsewhere
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        )

    async def destination_problem(self, url: str) -> str | None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "only http:// and https:// URLs with a host name can receive webhooks"
        if parts.username or parts.password:
            return "credentials in the URL are not allowed"
        if self._allow_private:
            return None
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return "the port is not a number"
        try:
            found = await asyncio.wait_for(
                asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM), RESOLVE_SECONDS
            )
        except (OSError, TimeoutError):
            return f"{parts.hostname} cannot be resolved"
        for _family, _type, _proto, _name, address in found:
            ip = ipaddress.ip_address(str(address[0]).split("%", 1)[0])
            if not ip.is_global:
                return f"{parts.hostname} resolves to an internal address ({ip}); see MAILYARD_WEBHOOK_ALLOW_PRIVATE"
        return None

    async def post(self, url: str, body: bytes, *, secret: str, message_id: str) -> tuple[int | None, str]:
        # Signed at the moment it leaves, by the wall clock the receiver compares with (replay window).
        sent_at = datetime.now(UTC)
        signature = Webhook(secret).sign(message_id, sent_at, body)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature,
        }
        try:
            async with self._client.stream("POST", url, content=body, headers=headers) as response:
                kept = b""
                async for chunk in response.aiter_bytes():
                    kept += chunk
                    if len(kept) >= KEPT_BYTES:
                        break
                return response.status_code, kept[:KEPT_BYTES].decode("utf-8", "replace")
        except httpx.HTTPError as error:
            return None, f"{type(error).__name__}: {error}"[:KEPT_BYTES]

    async def close(self) -> None:
        await self._client.aclose()

    def __repr__(self) -> str:
        return f"HttpWebhookTransport(allow_private={self._allow_private})"
