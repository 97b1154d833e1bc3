"""/v1 in front of the routes: authentication before the body is read, no browser prompt, no write a cross-site
form could send, a rate per route per account and a limit per client address."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from mailyard import bootstrap
from mailyard.web.app import WebOptions, create_app

pytestmark = pytest.mark.timeout(60)
FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain;charset=UTF-8"]


async def client_for(runtime: bootstrap.Runtime, **options: Any) -> httpx.AsyncClient:
    app = create_app(runtime.services, WebOptions(**options))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mailyard.test")


class _OneInstant:
    """The clock the rate limits' library reads, stopped mid-second: its sliding window lets part of a burst
    through when the burst straddles a second, as requests answered slowly by a busy database can."""

    def time(self) -> float:
        return 1_800_000_000.25

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def one_instant(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("limits.aio.storage.memory", "limits.aio.strategies"):
        monkeypatch.setattr(f"{module}.time", _OneInstant())


@pytest.fixture
async def limited(runtime: bootstrap.Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with await client_for(runtime, api_rate_limit=2, client_rate_limit=10_000) as client:
        yield client


@pytest.mark.parametrize("content_type", FORM_TYPES)
async def test_writes_a_cross_site_form_can_send_are_refused(api, team, make_content, content_type):
    content = await make_content(team.admin.principal)
    created = await api.post("/v1/tasks", json=_task(content), auth=team.admin.auth)
    assert created.status_code == 201, created.text
    task = created.json()
    for path, body in [
        (f"/v1/tasks/{task['id']}/cancel", b""),
        (f"/v1/lists/{content.list_id}/recipients.csv", b"email\nmallory@example.org\n"),
        ("/v1/lists", b'{"name": "forged"}'),
    ]:
        response = await api.post(path, content=body, headers={"content-type": content_type}, auth=team.admin.auth)
        assert response.status_code == 415, (path, response.text)
        assert response.json()["error"]["code"] == "unsupported_media_type"
    after = (await api.get(f"/v1/tasks/{task['id']}", auth=team.admin.auth)).json()
    assert after["state"] == task["state"]
    recipients = (await api.get(f"/v1/lists/{content.list_id}/recipients", auth=team.admin.auth)).json()
    assert "mallory@example.org" not in {item["address"] for item in recipients["items"]}
    lists = (await api.get("/v1/lists", auth=team.admin.auth)).json()
    assert "forged" not in {item["name"] for item in lists["items"]}


async def test_the_csv_import_still_takes_text_csv(api, team, make_content):
    content = await make_content(team.admin.principal)
    response = await api.post(
        f"/v1/lists/{content.list_id}/recipients.csv",
        content=b"email\nnew@example.org\n",
        headers={"content-type": "text/csv"},
        auth=team.admin.auth,
    )
    assert response.status_code in (200, 201), response.text


async def test_a_401_never_asks_a_browser_for_a_password(api, team):
    for auth in [None, ("AKIDunknown", "x"), (team.admin.key.secret_id, "wrong")]:
        response = await api.get("/v1/me", auth=auth)
        assert response.status_code == 401
        assert "www-authenticate" not in response.headers


async def test_an_unauthenticated_body_is_never_read(runtime, team):
    app = create_app(runtime.services, WebOptions())
    reads: list[int] = []

    async def receive() -> dict[str, Any]:
        reads.append(1)
        return {"type": "http.request", "body": b"{" * 1000, "more_body": False}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    for authorization in [b"", b"Basic " + b"QUtJRHVua25vd246eA==", b"Bearer token"]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/v1/lists",
            "raw_path": b"/v1/lists",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"content-type", b"application/json"), (b"authorization", authorization)],
            "client": ("192.0.2.1", 1234),
            "server": ("mailyard.test", 80),
        }
        await app(scope, receive, send)
    assert [message["status"] for message in sent if message["type"] == "http.response.start"] == [401] * 3
    assert reads == []


async def test_the_rate_counts_per_route_per_account(one_instant, limited, team, rival):
    # The fourth is another user of the same account.
    users = [team.admin.auth] * 3 + [team.members[0].auth]
    answers = await asyncio.gather(*(limited.get("/v1/me", auth=auth) for auth in users))
    assert sorted(answer.status_code for answer in answers) == [200, 200, 429, 429]
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.headers["retry-after"] == "1"
    assert (await limited.get("/v1/lists", auth=team.admin.auth)).status_code == 200  # another route
    assert (await limited.get("/v1/me", auth=rival.admin.auth)).status_code == 200  # another account


async def test_one_client_address_is_limited_before_authentication(one_instant, runtime, team):
    async with await client_for(runtime, client_rate_limit=3) as client:
        answers = await asyncio.gather(*(client.get("/v1/me", auth=("AKIDunknown", "x")) for _ in range(5)))
        assert sorted(answer.status_code for answer in answers) == [401, 401, 401, 429, 429]
        refused = [answer for answer in answers if answer.status_code == 429]
        assert all(answer.json()["error"]["code"] == "rate_limited" for answer in refused)


def _task(content: Any) -> dict[str, Any]:
    return {
        "name": "weekly",
        "from_address": content.sender,
        "subject": "Hi",
        "template_id": content.template_id,
        "recipient_list_id": content.list_id,
        "schedule": {"type": "scheduled", "begin_at": "2099-01-01T09:00:00+00:00"},
    }


async def test_the_local_operator_needs_no_key_and_meets_no_limit(runtime, team):
    app = create_app(runtime.services, WebOptions(api_rate_limit=1, client_rate_limit=1), operator=team.admin.principal)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mailyard.test") as client:
        for _ in range(5):
            response = await client.get("/v1/me")
            assert response.status_code == 200, response.text
            assert response.json()["nickname"] == team.admin.principal.nickname
