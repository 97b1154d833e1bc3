"""What the native API offers beside tasks: suppressions, statistics, single sends, unsubscribe settings, and
recipient lists of any size imported in one streamed CSV and exported again."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import FixedClock

from mailyard import bootstrap
from mailyard.settings import Settings

CSV = {"content-type": "text/csv"}


async def setup_sender(api: httpx.AsyncClient, auth: tuple[str, str]) -> int:
    """A verified domain with a sender and a template; the template's id."""
    assert (await api.post("/v1/domains", json={"domain": "news.example.com"}, auth=auth)).status_code == 201
    sender = {"address": "hello@news.example.com", "display_name": "News"}
    assert (await api.post("/v1/senders", json=sender, auth=auth)).status_code == 201
    template = {"name": "note", "subject": "Hi", "text": "Hello {{name}}", "html": "<p>Hello {{name}}</p>"}
    response = await api.post("/v1/templates", json=template, auth=auth)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_suppressions_are_listed_added_and_removed(api, team, rival):
    auth = team.admin.auth
    added = await api.post(
        "/v1/suppressions", json={"addresses": ["Trap@Example.org", "broken"], "expires_on": "2027-01-01"}, auth=auth
    )
    assert added.status_code == 201, added.text
    assert added.json() == {"total": 2, "valid": 1, "invalid": 1, "repeated": 0}
    page = (await api.get("/v1/suppressions", params={"address": "trap"}, auth=auth)).json()
    assert [(item["address"], item["reason"]) for item in page["items"]] == [("trap@example.org", "custom")]
    assert page["items"][0]["expires_at"].startswith("2026-12-31T16:00:00")  # midnight in Asia/Shanghai
    assert (await api.get("/v1/suppressions", auth=rival.admin.auth)).json()["total"] == 0
    assert (await api.get("/v1/suppressions", params={"reason": "hard_bounce"}, auth=auth)).json()["total"] == 0

    assert (await api.delete("/v1/suppressions/trap@example.org", auth=rival.admin.auth)).status_code == 404
    assert (await api.delete("/v1/suppressions/trap@example.org", auth=auth)).status_code == 204
    gone = await api.delete("/v1/suppressions/trap@example.org", auth=auth)
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "suppression_not_found")
    assert (await api.get("/v1/suppressions", auth=auth)).json()["total"] == 0


async def test_a_single_send_with_cc_bcc_and_an_attachment_is_queued_and_reported(api, team, runtime, clock):
    auth = team.admin.auth
    template_id = await setup_sender(api, auth)
    body = {
        "from_address": "News <hello@news.example.com>",
        "to": ["ada@example.org"],
        "cc": ["alan@example.org"],
        "bcc": ["grace@example.org"],
        "subject": "Your report",
        "template_id": template_id,
        "variables": {"name": "Ada"},
        "attachments": [{"filename": "report.txt", "content_base64": base64.b64encode(b"figures").decode()}],
        "unsubscribe": "en",
    }
    sent = await api.post("/v1/messages", json=body, auth=auth)
    assert sent.status_code == 202, sent.text
    message_id = sent.json()["message_id"]
    today = clock.now().astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).date().isoformat()
    statuses = (await api.get("/v1/messages", params={"day": today, "message_id": message_id}, auth=auth)).json()
    assert sorted(item["to_address"] for item in statuses) == [
        "ada@example.org",
        "alan@example.org",
        "grace@example.org",
    ]
    assert {item["state"] for item in statuses} == {"queued"}

    bad = dict(body, attachments=[{"filename": "x.txt", "content_base64": "not base64!"}])
    refused = await api.post("/v1/messages", json=bad, auth=auth)
    assert (refused.status_code, refused.json()["error"]["field"]) == (400, "attachments")
    unknown = await api.post("/v1/messages", json=dict(body, unsubscribe="klingon"), auth=auth)
    assert unknown.status_code == 422


async def test_statistics_count_the_days_requests(api, team, clock):
    auth = team.admin.auth
    template_id = await setup_sender(api, auth)
    body = {
        "from_address": "hello@news.example.com",
        "to": ["a@example.org", "b@example.org"],
        "subject": "S",
        "template_id": template_id,
    }
    assert (await api.post("/v1/messages", json=body, auth=auth)).status_code == 202
    day = "2026-03-02"  # the fixed clock's day in Asia/Shanghai
    report = (await api.get("/v1/statistics", params={"start": day, "end": day}, auth=auth)).json()
    assert report["overall"]["requested"] == 2
    assert [row["day"] for row in report["daily"]] == [day]
    backwards = await api.get("/v1/statistics", params={"start": day, "end": "2026-03-01"}, auth=auth)
    assert backwards.status_code == 400


async def test_statistics_of_one_task_follow_the_tasks_visibility(api, team, rival):
    admin, member = team.admin.auth, team.members[0].auth
    template_id = await setup_sender(api, admin)
    body = {"from_address": "hello@news.example.com", "subject": "S", "template_id": template_id}

    async def send(auth: tuple[str, str], count: int) -> int:
        to = [f"r{number}@example.org" for number in range(count)]
        response = await api.post("/v1/messages", json=dict(body, to=to), auth=auth)
        assert response.status_code == 202, response.text
        return int(response.json()["task_id"])

    admins, members = await send(admin, 2), await send(member, 3)
    day = {"start": "2026-03-02", "end": "2026-03-02"}  # the fixed clock's day in Asia/Shanghai

    async def report(auth: tuple[str, str], **query: object) -> httpx.Response:
        return await api.get("/v1/statistics", params={**day, **query}, auth=auth)

    assert (await report(admin)).json()["overall"]["requested"] == 5
    for auth, task_id, requested in ((admin, admins, 2), (admin, members, 3), (member, members, 3)):
        answer = (await report(auth, task_id=task_id)).json()
        assert (answer["overall"]["requested"], [row["day"] for row in answer["daily"]]) == (requested, [day["start"]])
    hidden = await report(member, task_id=admins)  # as the task itself answers that member
    task_itself = await api.get(f"/v1/tasks/{admins}", auth=member)
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (
        task_itself.status_code,
        task_itself.json()["error"]["code"],
    )
    for auth, task_id in ((rival.admin.auth, admins), (admin, 999_999)):
        missing = await report(auth, task_id=task_id)
        assert missing.status_code == 404 and set(missing.json()["error"]) >= {"code", "message"}, missing.text
    by_domain = await report(admin, task_id=admins, recipient_domain="example.org")
    assert by_domain.status_code == 400 and "not split by domain" in by_domain.json()["error"]["message"]


async def test_unsubscribe_settings_and_the_task_option(api, team):
    auth = team.admin.auth
    template_id = await setup_sender(api, auth)
    put = await api.put("/v1/senders/hello@news.example.com/unsubscribe", json={"language": "ja"}, auth=auth)
    assert put.status_code == 200, put.text
    assert (put.json()["language"], put.json()["enabled"]) == ("ja", True)
    changed = await api.put(
        "/v1/senders/hello@news.example.com/unsubscribe", json={"language": "none", "enabled": False}, auth=auth
    )
    assert (changed.json()["language"], changed.json()["enabled"]) == ("none", False)
    listed = (await api.get("/v1/unsubscribe-settings", auth=auth)).json()
    assert [item["address"] for item in listed["items"]] == ["hello@news.example.com"]
    missing = await api.put("/v1/senders/nobody@news.example.com/unsubscribe", json={"language": "en"}, auth=auth)
    assert missing.status_code == 404
    assert (await api.delete("/v1/senders/hello@news.example.com/unsubscribe", auth=auth)).status_code == 204

    created = await api.post("/v1/lists", json={"name": "few"}, auth=auth)
    list_id = created.json()["id"]
    await api.post(f"/v1/lists/{list_id}/recipients.csv", content="email\na@example.org\n", headers=CSV, auth=auth)
    task = {
        "from_address": "hello@news.example.com",
        "subject": "Hi",
        "template_id": template_id,
        "recipient_list_id": list_id,
        "unsubscribe": "de",
    }
    response = await api.post("/v1/tasks", json=task, auth=auth)
    assert response.status_code == 201, response.text


# --- big lists ----------------------------------------------------------------------------------------------


def csv_of(count: int) -> bytes:
    lines = ["email,name"] + [f"user{number}@example.org,User {number}" for number in range(count)]
    return ("\n".join(lines) + "\n").encode()


async def test_a_csv_over_the_request_limit_imports_in_one_streamed_upload_and_exports_again(small_body_api, runtime):
    api = small_body_api
    key = await runtime.services.access.issue_key(account_name="acme", nickname="alice")
    auth = (key.secret_id, key.secret_key)
    list_id = (await api.post("/v1/lists", json={"name": "many"}, auth=auth)).json()["id"]
    content = csv_of(30_000)  # ~1 MB: well over this server's 256 KB request limit, under its import limit
    assert len(content) > 3 * SMALL_BODY_BYTES

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(content), 1 << 16):
            yield content[start : start + (1 << 16)]

    imported = await api.post(f"/v1/lists/{list_id}/recipients.csv", content=chunks(), headers=CSV, auth=auth)
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"total": 30_000, "valid": 30_000, "invalid": 0, "invalid_rows": []}
    too_big = await api.post("/v1/templates", json={"name": "t", "text": "x" * SMALL_BODY_BYTES}, auth=auth)
    assert (too_big.status_code, too_big.json()["error"]["code"]) == (413, "body_too_large")

    exported = await api.get(f"/v1/lists/{list_id}/recipients.csv", auth=auth)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["email", "variables"]
    assert len(rows) == 30_001
    assert rows[1] == ["user0@example.org", '{"name": "User 0"}']
    assert rows[-1][0] == "user29999@example.org"

    again = (await api.post("/v1/lists", json={"name": "copy"}, auth=auth)).json()["id"]
    reimported = await api.post(f"/v1/lists/{again}/recipients.csv", content=exported.content, headers=CSV, auth=auth)
    assert reimported.json()["valid"] == 30_000


SMALL_BODY_BYTES = 256 * 1024


@pytest.fixture
async def small_body_api(database_url: str, tmp_path: Path, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    """A server whose request limit is small, so that an import over it stays quick to make."""
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        identity_verification="trust",
        max_body_bytes=SMALL_BODY_BYTES,
    )
    runtime = await bootstrap.open_runtime(settings, clock=clock)
    transport = httpx.ASGITransport(app=bootstrap.create_web_app(runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://mailyard.test") as client:
            yield client
    finally:
        await runtime.close()


@pytest.fixture
async def small_limits_api(database_url: str, tmp_path: Path, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        identity_verification="trust",
        list_max_recipients=5,
        max_import_bytes=10 * 1024 * 1024,
    )
    runtime = await bootstrap.open_runtime(settings, clock=clock)
    transport = httpx.ASGITransport(app=bootstrap.create_web_app(runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://mailyard.test") as client:
            yield client
    finally:
        await runtime.close()


async def test_an_import_past_the_list_limit_stores_nothing(small_limits_api, runtime):
    api = small_limits_api
    key = await runtime.services.access.issue_key(account_name="acme", nickname="alice")
    auth = (key.secret_id, key.secret_key)
    list_id = (await api.post("/v1/lists", json={"name": "small"}, auth=auth)).json()["id"]
    assert (await api.post(f"/v1/lists/{list_id}/recipients.csv", content=csv_of(3), headers=CSV, auth=auth)).json()[
        "valid"
    ] == 3
    over = await api.post(f"/v1/lists/{list_id}/recipients.csv", content=csv_of(3), headers=CSV, auth=auth)
    assert (over.status_code, over.json()["error"]["code"]) == (413, "list_too_large")
    assert (await api.get(f"/v1/lists/{list_id}", auth=auth)).json()["total_count"] == 3
    huge = await api.post(
        f"/v1/lists/{list_id}/recipients.csv", content=b"x" * (11 * 1024 * 1024), headers=CSV, auth=auth
    )
    assert (huge.status_code, huge.json()["error"]["code"]) == (413, "body_too_large")


async def test_a_bad_row_deep_in_a_large_import_names_its_line_and_stores_nothing(api, team):
    auth = team.admin.auth
    list_id = (await api.post("/v1/lists", json={"name": "broken"}, auth=auth)).json()["id"]
    content = csv_of(5_000).replace(b"user4000@example.org,User 4000", b'user4000@example.org,"unclosed', 1)
    content = content.replace(b"email,name", b"email,name,variables", 1).replace(
        b"user4500@example.org,User 4500", b"user4500@example.org,x,{broken json}", 1
    )
    response = await api.post(f"/v1/lists/{list_id}/recipients.csv", content=content, headers=CSV, auth=auth)
    assert response.status_code == 400, response.text
    assert "line" in response.json()["error"]["message"]
    assert (await api.get(f"/v1/lists/{list_id}", auth=auth)).json()["total_count"] == 0
