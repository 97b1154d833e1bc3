"""The native REST API under /v1: every endpoint's happy path, and bad input answered with a 4xx in the one
error shape `{"error": {"code", "message", "field"}}` while nothing changes."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from typing import Any

import pytest

HUGE = 2**63  # one past the largest id
CSV = "text/csv"


def assert_error(response, status: int, code: str | None = None, field: str | None = None) -> dict[str, Any]:
    """The response is the error shape with this status (and code, and field when given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "field"}, body
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, body
    if field is not None:
        assert error["field"] == field, body
    return error


async def snapshot(api, auth) -> dict[str, Any]:
    """Everything the account holds, as the API shows it."""
    state: dict[str, Any] = {}
    for path in ("/v1/templates", "/v1/lists", "/v1/tasks", "/v1/domains", "/v1/senders", "/v1/users", "/v1/keys"):
        response = await api.get(path, params={"limit": 1000} if path.endswith(("s", "tasks")) else None, auth=auth)
        assert response.status_code == 200, response.text
        state[path] = response.json()
    for found in state["/v1/lists"]["items"]:
        path = f"/v1/lists/{found['id']}/recipients"
        state[path] = (await api.get(path, params={"limit": 1000}, auth=auth)).json()
    for task in state["/v1/tasks"]["items"]:
        for part in ("runs", "deliveries"):
            path = f"/v1/tasks/{task['id']}/{part}"
            state[path] = (await api.get(path, params={"limit": 1000}, auth=auth)).json()
    return state


class Seeded:
    """Ids of what `seeded` created through the API."""

    def __init__(self, template_id: int, list_id: int, task_id: int) -> None:
        self.template_id = template_id
        self.list_id = list_id
        self.task_id = task_id


async def post(api, auth, path: str, json: Any = None, status: int = 201) -> Any:
    response = await api.post(path, json=json, auth=auth)
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
async def seeded(api, team) -> Seeded:
    """Through the API: a domain with a sender, a template, a list of three (one invalid), an immediate task."""
    auth = team.admin.auth
    await post(api, auth, "/v1/domains", {"domain": "news.example.com"})
    await post(api, auth, "/v1/senders", {"address": "hello@news.example.com", "display_name": "News"})
    template = await post(
        api, auth, "/v1/templates", {"name": "welcome", "subject": "Hi {{name}}", "text": "Hello {{name}}"}
    )
    readers = await post(api, auth, "/v1/lists", {"name": "readers"})
    csv = "email,name\nann@example.org,Ann\nben@example.org,Ben\nnot-an-address,X\n"
    response = await api.post(
        f"/v1/lists/{readers['id']}/recipients.csv", content=csv, headers={"content-type": CSV}, auth=auth
    )
    assert response.json() == {
        "total": 3,
        "valid": 2,
        "invalid": 1,
        "invalid_rows": [{"line": 4, "address": "not-an-address", "reason": "address has no @"}],
    }
    task = await post(
        api,
        auth,
        "/v1/tasks",
        {
            "from_address": "News <hello@news.example.com>",
            "subject": "Hello {{name}}",
            "template_id": template["id"],
            "recipient_list_id": readers["id"],
        },
    )
    return Seeded(template_id=template["id"], list_id=readers["id"], task_id=task["id"])


def task_body(seeded: Seeded, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "from_address": "hello@news.example.com",
        "subject": "Hi",
        "template_id": seeded.template_id,
        "recipient_list_id": seeded.list_id,
    }
    body.update(changes)
    return body


# --- happy paths -------------------------------------------------------------------------------------------


async def test_me_users_and_keys(api, team):
    alice, bob = team.admin, team.members[0]
    me = (await api.get("/v1/me", auth=bob.auth)).json()
    assert me == {
        "account": "acme",
        "user_id": bob.principal.user_id,
        "nickname": "bob",
        "role": "member",
        "time_zone": "Asia/Shanghai",
    }
    users = (await api.get("/v1/users", auth=bob.auth)).json()
    assert [(user["nickname"], user["role"]) for user in users] == [
        ("alice", "admin"),
        ("bob", "member"),
        ("carol", "member"),
    ]

    dave = await post(api, alice.auth, "/v1/users", {"nickname": "dave"})
    assert dave["user"]["role"] == "member" and dave["SecretId"].startswith("AKID") and len(dave["SecretKey"]) == 40
    dave_auth = (dave["SecretId"], dave["SecretKey"])
    assert (await api.get("/v1/me", auth=dave_auth)).json()["nickname"] == "dave"
    second_admin = await post(api, alice.auth, "/v1/users", {"nickname": "erin", "role": "admin"})
    assert second_admin["user"]["role"] == "admin"

    own_extra = await post(api, bob.auth, "/v1/keys", {})
    for_dave = await post(api, alice.auth, "/v1/keys", {"user_id": dave["user"]["id"]})
    assert for_dave["user"]["nickname"] == "dave"
    bob_keys = (await api.get("/v1/keys", auth=bob.auth)).json()
    assert {key["secret_id"] for key in bob_keys} == {bob.key.secret_id, own_extra["SecretId"]}
    assert all("SecretKey" not in key and "secret_key" not in key for key in bob_keys)
    all_keys = (await api.get("/v1/keys", auth=alice.auth)).json()
    assert len(all_keys) == 3 + 2 + 2  # alice, bob, carol; dave twice; bob's extra; erin

    dave_first = next(key for key in all_keys if key["secret_id"] == dave["SecretId"])
    assert (await api.delete(f"/v1/keys/{dave_first['id']}", auth=alice.auth)).status_code == 204
    assert_error(await api.get("/v1/me", auth=dave_auth), 401, "authentication_failed")
    extra = next(key for key in bob_keys if key["secret_id"] == own_extra["SecretId"])
    assert (await api.delete(f"/v1/keys/{extra['id']}", auth=bob.auth)).status_code == 204


async def test_templates(api, team):
    auth = team.admin.auth
    created = await post(api, auth, "/v1/templates", {"name": "t", "subject": "S {{a}}", "html": "<b>{{a}}</b>"})
    assert created["review_status"] == "approved"
    assert (created["text"], created["html"]) == (None, "<b>{{a}}</b>")
    template_id = created["id"]
    assert (await api.get(f"/v1/templates/{template_id}", auth=auth)).json() == created

    changed = await api.put(f"/v1/templates/{template_id}", json={"name": "t2", "text": "Hi {{a}} {{b}}"}, auth=auth)
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["text"], changed.json()["html"]) == ("t2", "Hi {{a}} {{b}}", None)

    preview = await post(api, auth, f"/v1/templates/{template_id}/preview", {"variables": {"a": "<A>"}}, 200)
    assert preview == {"subject": None, "text": "Hi <A> ", "html": None, "missing": ["b"]}
    await api.put(f"/v1/templates/{template_id}", json={"name": "t2", "subject": "{{s}}", "html": "{{a}}"}, auth=auth)
    preview = await post(api, auth, f"/v1/templates/{template_id}/preview", {}, 200)
    assert preview == {"subject": "", "text": None, "html": "", "missing": ["a", "s"]}
    preview = await post(api, auth, f"/v1/templates/{template_id}/preview", {"variables": {"a": "<i>", "s": 1}}, 200)
    assert preview == {"subject": "1", "text": None, "html": "&lt;i&gt;", "missing": []}

    for number in range(3):
        await post(api, auth, "/v1/templates", {"name": f"more{number}", "text": "x"})
    page = (await api.get("/v1/templates", params={"offset": 1, "limit": 2}, auth=auth)).json()
    assert (page["total"], page["offset"], page["limit"]) == (4, 1, 2)
    assert [item["name"] for item in page["items"]] == ["more1", "more0"]

    assert (await api.delete(f"/v1/templates/{template_id}", auth=auth)).status_code == 204
    assert_error(await api.get(f"/v1/templates/{template_id}", auth=auth), 404, "template_not_found")


async def test_lists_and_recipients(api, team):
    auth = team.admin.auth
    created = await post(api, auth, "/v1/lists", {"name": "friends", "description": "close ones"})
    assert (created["status"], created["total_count"]) == ("empty", 0)
    list_id = created["id"]
    report = await post(
        api,
        auth,
        f"/v1/lists/{list_id}/recipients",
        {
            "recipients": [
                {"address": "Ann@Example.org", "variables": {"name": "Ann"}},
                {"address": "ann@example.org"},
                {"address": "broken"},
            ]
        },
        200,
    )
    assert report == {
        "total": 3,
        "valid": 2,
        "invalid": 1,
        "invalid_rows": [{"line": 3, "address": "broken", "reason": "address has no @"}],
    }
    csv = '\ufeffAddress,name,variables\nzed@example.org,Zed,"{""vip"": true}"\n,,\nnobody@,N,\n'
    response = await api.post(f"/v1/lists/{list_id}/recipients.csv", content=csv.encode(), auth=auth)
    assert response.json() == {
        "total": 2,
        "valid": 1,
        "invalid": 1,
        "invalid_rows": [{"line": 4, "address": "nobody@", "reason": "address has no @"}],
    }
    plain = "one@example.org\ntwo@example.org\n"
    response = await api.post(f"/v1/lists/{list_id}/recipients.csv", content=plain, auth=auth)
    assert response.json()["valid"] == 2

    found = (await api.get(f"/v1/lists/{list_id}", auth=auth)).json()
    assert (found["total_count"], found["valid_count"], found["invalid_count"], found["status"]) == (
        7,
        5,
        2,
        "complete",
    )
    page = (await api.get(f"/v1/lists/{list_id}/recipients", params={"valid": "false"}, auth=auth)).json()
    assert [(item["address"], item["reason"]) for item in page["items"]] == [
        ("broken", "address has no @"),
        ("nobody@", "address has no @"),
    ]
    page = (await api.get(f"/v1/lists/{list_id}/recipients", params={"address": "ZED"}, auth=auth)).json()
    assert [(item["address"], item["variables"]) for item in page["items"]] == [
        ("zed@example.org", {"name": "Zed", "vip": True})
    ]
    page = (await api.get(f"/v1/lists/{list_id}/recipients", params={"limit": 2, "offset": 6}, auth=auth)).json()
    assert (page["total"], [item["address"] for item in page["items"]]) == (7, ["two@example.org"])

    await post(api, auth, "/v1/lists", {"name": "others"})
    page = (await api.get("/v1/lists", params={"keyword": "FRIEND"}, auth=auth)).json()
    assert [item["name"] for item in page["items"]] == ["friends"]
    assert (await api.get("/v1/lists", auth=auth)).json()["total"] == 2
    assert (await api.delete(f"/v1/lists/{list_id}", auth=auth)).status_code == 204
    assert_error(await api.get(f"/v1/lists/{list_id}", auth=auth), 404, "list_not_found")


async def test_domains_and_senders(api, team):
    auth = team.admin.auth
    domain = await post(api, auth, "/v1/domains", {"domain": "Mail.Example.COM."})
    assert (domain["domain"], domain["verified"]) == ("mail.example.com", True)
    assert [record["name"] for record in domain["dns_records"]] == [
        "mail.example.com",
        "mailyard._domainkey.mail.example.com",
        "_dmarc.mail.example.com",
        "bounce.mail.example.com",  # the return path's MX
        "bounce.mail.example.com",  # and its SPF
    ]
    assert domain["dns_records"][1]["expected_value"].startswith("v=DKIM1; k=rsa; p=")
    assert (await api.get("/v1/domains/mail.example.com", auth=auth)).json() == domain
    assert [found["domain"] for found in (await api.get("/v1/domains", auth=auth)).json()] == ["mail.example.com"]
    verified = await post(api, auth, "/v1/domains/mail.example.com/verify", None, 200)
    assert verified["verified"] is True

    sender = await post(api, auth, "/v1/senders", {"address": "Hello@Mail.Example.com", "display_name": "Hi"})
    assert (sender["address"], sender["domain_id"]) == ("hello@mail.example.com", domain["id"])
    assert [found["address"] for found in (await api.get("/v1/senders", auth=auth)).json()] == [
        "hello@mail.example.com"
    ]
    assert_error(await api.delete("/v1/domains/mail.example.com", auth=auth), 409, "domain_has_senders")
    assert (await api.delete("/v1/senders/hello@mail.example.com", auth=auth)).status_code == 204
    assert (await api.delete("/v1/domains/mail.example.com", auth=auth)).status_code == 204
    assert (await api.get("/v1/domains", auth=auth)).json() == []


async def test_tasks(api, team, seeded, clock):
    alice, bob = team.admin, team.members[0]
    task = (await api.get(f"/v1/tasks/{seeded.task_id}", auth=alice.auth)).json()
    assert (task["state"], task["owner"], task["schedule"]["type"]) == ("sending", "alice", "immediate")
    assert task["counters"] == {"requested": 2, "sent": 0, "cached": 2, "failed": 0, "skipped": 1}

    begin = (clock.now() + timedelta(hours=3)).astimezone().isoformat()
    scheduled = await post(
        api, alice.auth, "/v1/tasks", task_body(seeded, name="later", schedule={"type": "scheduled", "begin_at": begin})
    )
    assert (scheduled["state"], scheduled["next_fire_at"]) == ("pending", scheduled["schedule"]["begin_at"])
    recurring = await post(
        api,
        bob.auth,
        "/v1/tasks",
        task_body(
            seeded,
            name="daily",
            variables={"name": "you"},
            schedule={"type": "recurring", "begin_at": begin, "interval_hours": 24},
        ),
    )
    assert (recurring["owner"], recurring["schedule"]["interval_hours"]) == ("bob", 24)

    async def names(auth, **params: Any) -> list[str]:
        return [item["name"] for item in (await api.get("/v1/tasks", params=params, auth=auth)).json()["items"]]

    assert await names(alice.auth) == ["daily", "later", "Hello {{name}}"]
    assert await names(bob.auth) == ["daily"]
    assert await names(alice.auth, type="scheduled") == ["later"]
    assert await names(alice.auth, state="sending") == ["Hello {{name}}"]
    assert await names(alice.auth, owner="bob") == ["daily"]
    assert await names(alice.auth, recipient_list_id=seeded.list_id, limit=1, offset=2) == ["Hello {{name}}"]

    paused = await post(api, bob.auth, f"/v1/tasks/{recurring['id']}/pause", None, 200)
    assert paused["paused"] is True
    assert await names(alice.auth, paused="true") == ["daily"]
    assert_error(await api.post(f"/v1/tasks/{recurring['id']}/run", auth=bob.auth), 409, "task_paused")
    assert (await post(api, bob.auth, f"/v1/tasks/{recurring['id']}/resume", None, 200))["paused"] is False
    run = await post(api, bob.auth, f"/v1/tasks/{recurring['id']}/run")
    assert (run["kind"], run["status"], run["requested"], run["skipped"]) == ("manual", "processing", 2, 1)
    assert_error(await api.post(f"/v1/tasks/{recurring['id']}/run", auth=bob.auth), 409, "task_already_running")

    runs = (await api.get(f"/v1/tasks/{recurring['id']}/runs", auth=bob.auth)).json()
    assert [item["id"] for item in runs["items"]] == [run["id"]]
    deliveries = (
        await api.get(f"/v1/tasks/{recurring['id']}/deliveries", params={"state": "skipped"}, auth=bob.auth)
    ).json()
    assert [(item["address"], item["reason"]) for item in deliveries["items"]] == [
        ("not-an-address", "invalid: address has no @")
    ]
    deliveries = (
        await api.get(f"/v1/tasks/{recurring['id']}/deliveries", params={"run_id": run["id"]}, auth=bob.auth)
    ).json()
    assert deliveries["total"] == 3

    granted = await post(api, alice.auth, f"/v1/tasks/{scheduled['id']}/grants", {"nickname": "bob"})
    assert granted["nickname"] == "bob"
    assert await names(bob.auth) == ["daily", "later"]
    response = await api.delete(f"/v1/tasks/{scheduled['id']}/grants/bob", auth=alice.auth)
    assert response.status_code == 204
    assert await names(bob.auth) == ["daily"]

    cancelled = await post(api, alice.auth, f"/v1/tasks/{seeded.task_id}/cancel", None, 200)
    assert cancelled["state"] == "cancelled"
    assert cancelled["counters"] == {"requested": 0, "sent": 0, "cached": 0, "failed": 0, "skipped": 3}
    assert_error(await api.post(f"/v1/tasks/{seeded.task_id}/cancel", auth=alice.auth), 409, "task_cancelled")


# --- errors ------------------------------------------------------------------------------------------------


def bad_requests(seeded: Seeded) -> list[tuple[str, str, dict[str, Any], int, str | None]]:
    """(method, path, request options, status, error code) of requests that must change nothing."""
    task, template, target = seeded.task_id, seeded.template_id, seeded.list_id
    bad_json = {"content": b'{"name": ', "headers": {"content-type": "application/json"}}
    return [
        # malformed JSON and wrong types
        ("POST", "/v1/templates", bad_json, 422, "invalid_request"),
        ("POST", "/v1/tasks", bad_json, 422, "invalid_request"),
        ("POST", "/v1/lists", {"content": b"[1, 2]", "headers": {"content-type": "application/json"}}, 422, None),
        ("POST", "/v1/templates", {"json": {"name": 5, "text": "x"}}, 422, "invalid_request"),
        ("POST", "/v1/templates", {"json": {"name": "x", "text": "y", "color": "red"}}, 422, "invalid_request"),
        ("POST", "/v1/templates", {"json": {"name": "no content"}}, 400, "template_content_empty"),
        ("POST", "/v1/templates", {"json": {"name": " ", "text": "x"}}, 400, "template_name_empty"),
        ("PUT", f"/v1/templates/{template}", {"json": {"name": ["x"], "text": "y"}}, 422, None),
        ("POST", f"/v1/templates/{template}/preview", {"json": {"variables": [1]}}, 422, None),
        ("POST", f"/v1/templates/{template}/preview", {"json": {"variables": {"name": {"deep": 1}}}}, 400, None),
        ("POST", "/v1/lists", {"json": {"name": ""}}, 422, None),
        ("POST", "/v1/lists", {"json": {"name": "readers"}}, 409, "list_name_taken"),
        ("POST", f"/v1/lists/{target}/recipients", {"json": {"recipients": []}}, 422, None),
        ("POST", f"/v1/lists/{target}/recipients", {"json": {"recipients": [{"email": "a@b.co"}]}}, 422, None),
        (
            "POST",
            f"/v1/lists/{target}/recipients",
            {"json": {"recipients": [{"address": "a@example.org", "variables": {"v": "x" * 800}}]}},
            400,
            "recipient_variables_invalid",
        ),
        ("POST", "/v1/domains", {"json": {"domain": "not a domain"}}, 400, "invalid_input"),
        ("POST", "/v1/domains", {"json": {"domain": "news.example.com"}}, 409, "domain_exists"),
        ("POST", "/v1/senders", {"json": {"address": "x@unknown.example.com"}}, 404, "domain_not_found"),
        ("POST", "/v1/senders", {"json": {"address": "no-at-sign"}}, 400, "address_invalid"),
        ("POST", "/v1/senders", {"json": {"address": "hello@news.example.com"}}, 409, "sender_exists"),
        ("POST", "/v1/tasks", {"json": task_body(seeded, template_id="one")}, 422, None),
        ("POST", "/v1/tasks", {"json": task_body(seeded, template_id=HUGE)}, 422, None),
        ("POST", "/v1/tasks", {"json": task_body(seeded, template_id=999)}, 404, "template_not_found"),
        ("POST", "/v1/tasks", {"json": task_body(seeded, recipient_list_id=999)}, 404, "list_not_found"),
        ("POST", "/v1/tasks", {"json": task_body(seeded, from_address="who@else.example.com")}, 404, None),
        ("POST", "/v1/tasks", {"json": task_body(seeded, from_address="nobody")}, 400, "sender_invalid"),
        ("POST", "/v1/tasks", {"json": task_body(seeded, subject="")}, 422, None),
        ("POST", "/v1/tasks", {"json": task_body(seeded, schedule={"type": "weekly"})}, 422, None),
        ("POST", "/v1/tasks", {"json": task_body(seeded, schedule={"type": "scheduled"})}, 400, None),
        ("POST", "/v1/tasks", {"json": task_body(seeded, variables={"name": ["a"]})}, 400, None),
        (
            "POST",
            "/v1/tasks",
            {"json": task_body(seeded, schedule={"type": "scheduled", "begin_at": "2030-01-01T09:00:00"})},
            400,
            None,
        ),
        (
            "POST",
            "/v1/tasks",
            {"json": task_body(seeded, schedule={"type": "scheduled", "begin_at": "2001-01-01T09:00:00Z"})},
            400,
            "begin_time_in_past",
        ),
        (
            "POST",
            "/v1/tasks",
            {"json": task_body(seeded, schedule={"type": "recurring", "begin_at": "2030-01-01T09:00:00Z"})},
            400,
            None,
        ),
        (
            "POST",
            "/v1/tasks",
            {"json": task_body(seeded, schedule={"type": "scheduled", "begin_at": "9999-12-31T23:00:00-05:00"})},
            400,
            None,
        ),
        ("POST", f"/v1/tasks/{task}/grants", {"json": {"nickname": "nobody"}}, 404, "user_not_found"),
        ("POST", f"/v1/tasks/{task}/grants", {"json": {}}, 422, None),
        ("DELETE", f"/v1/tasks/{task}/grants/carol", {}, 404, "grant_not_found"),
        ("POST", f"/v1/tasks/{task}/run", {}, 409, "task_already_running"),
        ("DELETE", f"/v1/templates/{template}", {}, 409, "template_in_use"),
        ("DELETE", f"/v1/lists/{target}", {}, 409, "list_in_use"),
        ("POST", "/v1/users", {"json": {"nickname": "bob"}}, 409, "user_exists"),
        ("POST", "/v1/users", {"json": {"nickname": "zed", "role": "owner"}}, 422, None),
        ("POST", "/v1/keys", {"json": {"user_id": 999}}, 404, "user_not_found"),
        # bad query parameters
        ("GET", "/v1/tasks", {"params": {"state": "lost"}}, 422, None),
        ("GET", "/v1/tasks", {"params": {"limit": 0}}, 422, None),
        ("GET", "/v1/tasks", {"params": {"limit": 1001}}, 422, None),
        ("GET", "/v1/templates", {"params": {"offset": -1}}, 422, None),
        ("GET", f"/v1/tasks/{task}/deliveries", {"params": {"run_id": HUGE}}, 422, None),
        ("GET", f"/v1/lists/{target}/recipients", {"params": {"valid": "perhaps"}}, 422, None),
        # unknown and impossible ids
        *[
            (method, path.format(id=missing), {}, 404, None)
            for missing in (999, HUGE - 1)
            for method, path in (
                ("GET", "/v1/tasks/{id}"),
                ("POST", "/v1/tasks/{id}/pause"),
                ("POST", "/v1/tasks/{id}/resume"),
                ("POST", "/v1/tasks/{id}/cancel"),
                ("POST", "/v1/tasks/{id}/run"),
                ("GET", "/v1/tasks/{id}/runs"),
                ("GET", "/v1/tasks/{id}/deliveries"),
                ("DELETE", "/v1/tasks/{id}/grants/bob"),
                ("GET", "/v1/templates/{id}"),
                ("DELETE", "/v1/templates/{id}"),
                ("GET", "/v1/lists/{id}"),
                ("DELETE", "/v1/lists/{id}"),
                ("GET", "/v1/lists/{id}/recipients"),
                ("DELETE", "/v1/keys/{id}"),
            )
        ],
        ("PUT", "/v1/templates/999", {"json": {"name": "x", "text": "y"}}, 404, "template_not_found"),
        ("POST", "/v1/templates/999/preview", {"json": {}}, 404, "template_not_found"),
        ("POST", "/v1/lists/999/recipients", {"json": {"recipients": [{"address": "a@b.co"}]}}, 404, None),
        ("POST", "/v1/tasks/999/grants", {"json": {"nickname": "bob"}}, 404, "task_not_found"),
        *[("GET", f"/v1/tasks/{bad}", {}, 422, "invalid_request") for bad in (HUGE, 10**30, 0, -1, "abc", "1.5")],
        ("GET", f"/v1/templates/{HUGE}", {}, 422, None),
        ("DELETE", f"/v1/lists/{HUGE}", {}, 422, None),
        ("DELETE", f"/v1/keys/{HUGE}", {}, 422, None),
        ("GET", "/v1/domains/unknown.example.com", {}, 404, "domain_not_found"),
        ("POST", "/v1/domains/unknown.example.com/verify", {}, 404, "domain_not_found"),
        ("DELETE", "/v1/domains/unknown.example.com", {}, 404, "domain_not_found"),
        ("GET", "/v1/domains/not_a_domain!", {}, 400, "invalid_input"),
        ("DELETE", "/v1/senders/nobody@news.example.com", {}, 404, "sender_not_found"),
        ("GET", "/v1/nothing-here", {}, 404, "not_found"),
        ("PATCH", "/v1/tasks", {}, 405, "method_not_allowed"),
        # NUL characters reach no database
        ("POST", "/v1/templates", {"json": {"name": "a\u0000b", "text": "x"}}, 422, "invalid_request"),
        ("POST", "/v1/lists", {"json": {"name": "nul\u0000"}}, 422, "invalid_request"),
        (
            "POST",
            f"/v1/lists/{target}/recipients",
            {"json": {"recipients": [{"address": "a\u0000@example.org"}]}},
            422,
            "invalid_request",
        ),
        ("GET", "/v1/lists", {"params": {"keyword": "a\u0000"}}, 400, "nul_character"),
        ("GET", "/v1/tasks", {"params": {"owner": "\u0000"}}, 400, "nul_character"),
        ("GET", f"/v1/lists/{target}/recipients", {"params": {"address": "\u0000"}}, 400, "nul_character"),
        ("DELETE", "/v1/senders/a%00b@news.example.com", {}, 400, "nul_character"),
        ("DELETE", f"/v1/tasks/{task}/grants/b%00b", {}, 400, "nul_character"),
    ]


async def test_bad_requests_are_refused_and_change_nothing(api, team, seeded):
    auth = team.admin.auth
    before = await snapshot(api, auth)
    failures = []
    for method, path, options, status, code in bad_requests(seeded):
        try:
            assert_error(await api.request(method, path, auth=auth, **options), status, code)
        except Exception as error:  # collect every failure, including errors raised by the app
            failures.append(f"{method} {path} {options}: {error!r}")
    assert not failures, "\n".join(failures)
    assert await snapshot(api, auth) == before


async def test_validation_errors_name_the_field(api, team, seeded):
    auth = team.admin.auth
    response = await api.post("/v1/tasks", json=task_body(seeded, template_id="one"), auth=auth)
    assert_error(response, 422, "invalid_request", "template_id")
    recurring_without_interval = {"type": "recurring", "begin_at": "2030-01-01T09:00:00Z"}
    response = await api.post("/v1/tasks", json=task_body(seeded, schedule=recurring_without_interval), auth=auth)
    assert "interval" in assert_error(response, 400, "invalid_input")["message"]
    response = await api.get("/v1/tasks/abc", auth=auth)
    assert_error(response, 422, "invalid_request", "path.task_id")


async def test_csv_imports_with_bad_content_store_nothing(api, team, seeded):
    auth = team.admin.auth
    path = f"/v1/lists/{seeded.list_id}/recipients.csv"
    before = await snapshot(api, auth)
    bad_files = [
        (b"email,variables\nann@example.org,{not json}\n", 400, "recipient_variables_invalid", "variables"),
        (b'email,variables\nann@example.org,"[1, 2]"\n', 400, "recipient_variables_invalid", "variables"),
        (b"email,name\n" + "caf\u00e9@example.org,x\n".encode("latin-1"), 400, "invalid_input", "body"),
        (b"", 400, "recipients_missing", None),
        (b"email,name\n", 400, "recipients_missing", None),
        (b"email,name\nann\x00@example.org,x\n", 400, "invalid_input", "body"),
        (b"email,name\nann@example.org," + b"y" * 900 + b"\n", 400, "recipient_variables_invalid", "variables"),
    ]
    for content, status, code, field in bad_files:
        response = await api.post(path, content=content, headers={"content-type": CSV}, auth=auth)
        assert_error(response, status, code, field)
    assert_error(await api.post("/v1/lists/999/recipients.csv", content=b"a@b.co", auth=auth), 404)
    assert await snapshot(api, auth) == before


async def test_bodies_over_8_megabytes_are_refused(api, team):
    auth = team.admin.auth
    before = await snapshot(api, auth)
    limit = 8 * 1024 * 1024
    huge_text = '{"name": "big", "text": "' + "x" * limit + '"}'
    assert_error(await api.post("/v1/templates", content=huge_text, auth=auth), 413, "body_too_large")

    async def chunks():  # no Content-Length: the limit holds while streaming
        for _ in range(9):
            yield b"x" * (1024 * 1024)

    streamed = await api.post(
        "/v1/templates", content=chunks(), headers={"content-type": "application/json"}, auth=auth
    )
    assert_error(streamed, 413, "body_too_large")
    assert await snapshot(api, auth) == before


# --- authentication and roles ------------------------------------------------------------------------------


def every_operation(paths: dict[str, Any]) -> list[tuple[str, str]]:
    samples = {"domain": "news.example.com", "address": "hello@news.example.com", "nickname": "bob"}
    operations = []
    for template, item in paths.items():
        path = re.sub(r"\{(\w+)\}", lambda match: samples.get(match.group(1), "1"), template)
        operations.extend((method.upper(), path) for method in item)
    return operations


async def test_every_endpoint_needs_a_valid_key(api, team, seeded):
    schema = (await api.get("/openapi.json")).json()
    operations = every_operation({path: item for path, item in schema["paths"].items() if path.startswith("/v1/")})
    assert len(operations) >= 35
    secret_id, secret_key = team.admin.auth
    wrong = [
        None,
        (secret_id, secret_key + "x"),
        (secret_id, ""),
        ("AKIDunknown", secret_key),
        (team.members[0].key.secret_id, secret_key),  # bob's id with alice's secret
        ("a\u0000b", "c"),
    ]
    before = await snapshot(api, team.admin.auth)
    for method, path in operations:
        for auth in wrong:
            response = await api.request(method, path, auth=auth)
            assert_error(response, 401, "authentication_failed")
            assert "www-authenticate" not in response.headers, (method, path)  # no browser prompt
    for header in ("Bearer abc", "Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode()):
        response = await api.get("/v1/me", headers={"authorization": header})
        assert_error(response, 401, "authentication_failed")
    assert await snapshot(api, team.admin.auth) == before


async def test_members_cannot_manage_users_or_other_peoples_keys(api, team):
    alice, bob, carol = team.admin, *team.members
    before = await snapshot(api, alice.auth)
    assert_error(await api.post("/v1/users", json={"nickname": "mallory"}, auth=bob.auth), 403, "admin_required")
    response = await api.post("/v1/users", json={"nickname": "mallory", "role": "admin"}, auth=bob.auth)
    assert_error(response, 403, "admin_required")
    response = await api.post("/v1/keys", json={"user_id": carol.principal.user_id}, auth=bob.auth)
    assert_error(response, 403, "admin_required")
    alice_key = next(key for key in (await api.get("/v1/keys", auth=alice.auth)).json() if key["user_id"] == 1)
    assert_error(await api.delete(f"/v1/keys/{alice_key['id']}", auth=bob.auth), 404, "key_not_found")
    assert [key["user_id"] for key in (await api.get("/v1/keys", auth=bob.auth)).json()] == [bob.principal.user_id]
    assert await snapshot(api, alice.auth) == before


async def test_other_accounts_are_invisible_through_the_api(api, team, rival, seeded):
    gina = rival.admin.auth
    before = await snapshot(api, team.admin.auth)
    for path in (
        f"/v1/tasks/{seeded.task_id}",
        f"/v1/templates/{seeded.template_id}",
        f"/v1/lists/{seeded.list_id}",
        f"/v1/lists/{seeded.list_id}/recipients",
        "/v1/domains/news.example.com",
    ):
        assert_error(await api.get(path, auth=gina), 404)
    assert_error(await api.post(f"/v1/tasks/{seeded.task_id}/cancel", auth=gina), 404, "task_not_found")
    assert_error(await api.delete("/v1/senders/hello@news.example.com", auth=gina), 404)
    assert (await api.get("/v1/tasks", auth=gina)).json()["total"] == 0
    assert_error(await api.get(f"/v1/tasks/{seeded.task_id}", auth=team.members[0].auth), 403, "task_forbidden")
    assert await snapshot(api, team.admin.auth) == before
