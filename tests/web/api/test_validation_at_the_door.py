"""Input that used to be stored and fail at send time, or answer 500, is refused at once by the native API
with a 4xx in its error shape, and nothing is stored: a line break in reply_to, nested or huge values in
variables (task, recipient, CSV), begin times before year 1 in UTC."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.web.api.test_native_api import CSV, Seeded, assert_error, seeded, snapshot, task_body

__all__ = ["seeded"]  # the fixture, for the tests below

FIVE_THOUSAND_DIGITS = "9" * 5000
FORTY_DIGITS = "9" * 40
DEEP = "[" * 5000 + "]" * 5000


def raw_json(text: str) -> dict[str, Any]:
    return {"content": text.encode(), "headers": {"content-type": "application/json"}}


def recipients_with(variables: str) -> str:
    return f'{{"recipients": [{{"address": "new@example.org", "variables": {variables}}}]}}'


def single_send(seeded: Seeded, **changes: Any) -> dict[str, Any]:
    body = {"from_address": "hello@news.example.com", "to": ["ann@example.org"], "subject": "Hi"}
    return body | {"template_id": seeded.template_id} | changes


def bad_requests(seeded: Seeded) -> list[tuple[str, dict[str, Any], int, str | None]]:
    """(path, request options, status, error code) of POSTs refused at once."""
    recipients = f"/v1/lists/{seeded.list_id}/recipients"
    task = json.dumps(task_body(seeded))[:-1]  # to append a raw variables member
    message = json.dumps(single_send(seeded))[:-1]
    return [
        (
            "/v1/tasks",
            {"json": task_body(seeded, reply_to="help@news.example.com\r\nBcc: x@example.org")},
            400,
            "reply_to_invalid",
        ),
        ("/v1/tasks", {"json": task_body(seeded, reply_to="help\n@news.example.com")}, 400, "reply_to_invalid"),
        ("/v1/tasks", {"json": task_body(seeded, variables={"a": {"b": 1}})}, 400, "template_data_invalid"),
        ("/v1/tasks", raw_json(task + f', "variables": {{"a": {FORTY_DIGITS}}}}}'), 400, "template_data_invalid"),
        ("/v1/tasks", raw_json(task + f', "variables": {{"a": {FIVE_THOUSAND_DIGITS}}}}}'), 400, None),
        ("/v1/tasks", raw_json(task + f', "variables": {{"a": {DEEP}}}}}'), 400, None),
        (
            "/v1/tasks",
            {"json": task_body(seeded, schedule={"type": "scheduled", "begin_at": "0001-01-01T00:00:00+08:00"})},
            400,
            "date_out_of_range",
        ),
        ("/v1/messages", {"json": single_send(seeded, variables={"a": {"b": 1}})}, 400, "template_data_invalid"),
        ("/v1/messages", raw_json(message + f', "variables": {{"a": {FORTY_DIGITS}}}}}'), 400, "template_data_invalid"),
        ("/v1/messages", raw_json(message + f', "variables": {{"a": {DEEP}}}}}'), 400, None),
        (recipients, {"json": json.loads(recipients_with('{"a": {"b": 1}}'))}, 400, "recipient_variables_invalid"),
        (recipients, raw_json(recipients_with(f'{{"a": {FORTY_DIGITS}}}')), 400, "recipient_variables_invalid"),
        (recipients, raw_json(recipients_with(f'{{"a": {FIVE_THOUSAND_DIGITS}}}')), 400, None),
        (recipients, raw_json(recipients_with(f'{{"a": {DEEP}}}')), 400, None),
    ]


async def test_refused_at_once_and_nothing_stored(api, team, seeded: Seeded) -> None:
    auth = team.admin.auth
    before = await snapshot(api, auth)
    failures = []
    for path, options, status, code in bad_requests(seeded):
        try:
            assert_error(await api.post(path, auth=auth, **options), status, code)
        except Exception as error:  # collect every failure, including errors raised by the app
            failures.append(f"{path} {str(options)[:200]}: {error!r}")
    assert not failures, "\n".join(failures)
    assert await snapshot(api, auth) == before


@pytest.mark.parametrize(
    "variables",
    [
        '"{""a"": {""b"": 1}}"',
        f'"{{""a"": {FIVE_THOUSAND_DIGITS}}}"',
        f'"{{""a"": {DEEP}}}"',
    ],
    ids=["nested", "digits", "deep"],
)
async def test_csv_variables_are_refused_at_once(api, team, seeded: Seeded, variables: str) -> None:
    auth = team.admin.auth
    before = await snapshot(api, auth)
    content = f"email,variables\nnew@example.org,{variables}\n".encode()
    response = await api.post(
        f"/v1/lists/{seeded.list_id}/recipients.csv", content=content, headers={"content-type": CSV}, auth=auth
    )
    assert_error(response, 400, "recipient_variables_invalid", "variables")
    assert await snapshot(api, auth) == before


async def test_dates_before_year_1_in_utc_are_refused(api, team, seeded: Seeded) -> None:
    auth = team.admin.auth
    before = (await api.get("/v1/suppressions", auth=auth)).json()
    response = await api.get("/v1/statistics", params={"start": "0001-01-01", "end": "0001-01-02"}, auth=auth)
    assert_error(response, 400, "date_out_of_range")
    added = {"addresses": ["bo@example.org"], "expires_on": "0001-01-01"}
    assert_error(await api.post("/v1/suppressions", json=added, auth=auth), 400, "date_out_of_range")
    assert (await api.get("/v1/suppressions", auth=auth)).json() == before
