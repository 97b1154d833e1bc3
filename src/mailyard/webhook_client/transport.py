"""The `WebhookTransport` port over aiohttp and standardwebhooks.

aiohttp rather than httpx: a worker posts webhooks by the thousand, and httpx spent about 3 ms of CPU per
request here (httpcore looks for sniffio on every request), aiohttp a fraction of that (bench-webhooks).

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

import aiohttp
from standardwebhooks import Webhook

KEPT_BYTES = 500
RESOLVE_SECONDS = 5.0
USER_AGENT = "Mailyard-Webhooks/1"


class HttpWebhookTransport:
    def __init__(self, *, allow_private: bool = False, timeout_seconds: float = 10.0) -> None:
        self._allow_private = allow_private
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds, connect=5.0)
        self._session: aiohttp.ClientSession | None = None  # made on first use, inside the running loop

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=64, limit_per_host=16)
            # trust_env=False: a proxy from the environment must not carry webhooks elsewhere.
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout, trust_env=False)
        return self._session

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
            async with self._client().post(url, data=body, headers=headers, allow_redirects=False) as response:
                kept = await response.content.read(KEPT_BYTES)
                return response.status, kept.decode("utf-8", "replace")
        except (aiohttp.ClientError, TimeoutError) as error:
            return None, f"{type(error).__name__}: {error}"[:KEPT_BYTES]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def __repr__(self) -> str:
        return f"HttpWebhookTransport(allow_private={self._allow_private})"
