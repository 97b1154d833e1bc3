"""How commands reach Mailyard: always through the native API, so a command does the same locally and remotely.

- Locally (the default) the API runs in this process over the configured database, acting as the admin of the
  account named with `--account` (no key needed: whoever can read the database is its operator).
- With `--url` (or MAILYARD_URL) and a key (MAILYARD_SECRET_ID, MAILYARD_SECRET_KEY) it is a remote server's
  API over HTTP, with that key's rights.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx

from mailyard import bootstrap
from mailyard.cli import context
from mailyard.cli.asgi_stream import StreamingASGITransport
from mailyard.cli.context import ApiError

REMOTE_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
LOCAL_BASE_URL = "http://mailyard.local/v1"
T = TypeVar("T")


@asynccontextmanager
async def connected(account: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the native API (base URL ending in /v1), local or remote as configured."""
    settings = context.settings()
    url = context.remote_url()
    if url:
        secret_id = context.state.secret_id or settings.secret_id
        secret_key = context.state.secret_key or settings.secret_key
        if not (secret_id and secret_key):
            context.fail("a remote server needs a key: set MAILYARD_SECRET_ID and MAILYARD_SECRET_KEY")
        base = url.rstrip("/") + "/v1"
        async with httpx.AsyncClient(base_url=base, auth=(secret_id, secret_key), timeout=REMOTE_TIMEOUT) as client:
            yield client
        return
    async with context.opened_runtime() as runtime:
        principal = await runtime.services.access.operator(account)
        transport = StreamingASGITransport(bootstrap.create_operator_api(runtime, principal))
        async with httpx.AsyncClient(transport=transport, base_url=LOCAL_BASE_URL, timeout=None) as client:
            yield client


async def call(client: httpx.AsyncClient, method: str, path: str, **options: Any) -> Any:
    """One API request; its JSON (None when empty), or ApiError with the API's own message."""
    response = await client.request(method, path, **options)
    if response.status_code >= 400:
        raise api_error(response)
    if not response.content:
        return None
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    return response.content


def api_error(response: httpx.Response) -> ApiError:
    try:
        error = response.json()["error"]
        return ApiError(response.status_code, str(error["code"]), str(error["message"]))
    except (ValueError, KeyError, TypeError):
        return ApiError(response.status_code, "http_error", f"HTTP {response.status_code} from the server")


def run_api(account: str | None, work: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    """Run `work` with an API client; any refusal becomes one line on stderr and exit code 1."""

    async def connected_work() -> T:
        async with connected(account) as api:
            return await work(api)

    return context.run(connected_work)


def request(account: str | None, method: str, path: str, **options: Any) -> Any:
    """One API request in its own session (most commands need no more)."""

    async def work(api: httpx.AsyncClient) -> Any:
        return await call(api, method, path, **options)

    return run_api(account, work)


def record_and_page(account: str | None, record_path: str, page_path: str, query: dict[str, object]) -> tuple[Any, Any]:
    """A record and a page of what it holds (a list and its recipients, a task and its deliveries), in one session."""

    async def work(api: httpx.AsyncClient) -> tuple[Any, Any]:
        return await call(api, "GET", record_path), await call(api, "GET", page_path, params=query)

    return run_api(account, work)
