"""Shared resources: any user of the account uses templates, recipient lists, domains and senders; only an
admin or the user who created one changes or deletes it. A sender or domain that tasks may still send from
cannot be deleted, and the error names those tasks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.domain.tasks import Schedule, TaskType
from mailyard.errors import Conflict, Forbidden

pytestmark = pytest.mark.timeout(60)


async def test_only_the_creator_or_an_admin_changes_a_template(runtime: bootstrap.Runtime, team: Any) -> None:
    service = runtime.services.templates
    alice, bob, carol = team.admin.principal, team.members[0].principal, team.members[1].principal
    made = await service.create(bob, name="bob's", subject=None, text="Hi", html=None)
    assert made.created_by == bob.user_id

    for attempt in (
        service.update(carol, made.id, name="carol's now", subject=None, text="Bought", html=None),
        service.delete(carol, made.id),
    ):
        with pytest.raises(Forbidden) as refused:
            await attempt
        assert refused.value.code == "template_forbidden"
    assert (await service.get(carol, made.id)).text == "Hi"  # unchanged, and still readable

    await service.update(bob, made.id, name="bob's", subject=None, text="Hello", html=None)
    await service.update(alice, made.id, name="bob's", subject=None, text="Hello all", html=None)
    assert (await service.get(bob, made.id)).text == "Hello all"
    await service.delete(alice, made.id)


async def test_only_the_creator_or_an_admin_fills_or_deletes_a_list(
    runtime: bootstrap.Runtime, team: Any, make_content: Any
) -> None:
    service = runtime.services.recipients
    alice, bob, carol = team.admin.principal, team.members[0].principal, team.members[1].principal
    content = await make_content(bob)  # bob's list, template, domain and sender
    with pytest.raises(Forbidden) as refused:
        await service.add_recipients(carol, content.list_id, [("intruder@example.net", None)])
    assert refused.value.code == "list_forbidden"
    with pytest.raises(Forbidden):
        await service.delete_list(carol, content.list_id)
    assert (await service.get_list(carol, content.list_id)).total_count == 3

    await service.add_recipients(bob, content.list_id, [("dee@example.org", None)])
    await service.add_recipients(alice, content.list_id, [("eve@example.org", None)])
    task = await runtime.services.tasks.create(carol, content.task_request())  # using stays open
    assert (task.owner_id, task.counters.requested) == (carol.user_id, 5)


async def test_only_the_creator_or_an_admin_changes_a_domain_or_sender(
    runtime: bootstrap.Runtime, team: Any, make_content: Any
) -> None:
    service = runtime.services.identities
    alice, bob, carol = team.admin.principal, team.members[0].principal, team.members[1].principal
    await make_content(bob)
    attempts = [
        (service.delete_sender(carol, "hello@news.example.com"), "sender_forbidden"),
        (service.set_smtp_password(carol, "hello@news.example.com", "Secret12Pass34"), "sender_forbidden"),
        (service.delete_domain(carol, "news.example.com"), "domain_forbidden"),
    ]
    for attempt, code in attempts:
        with pytest.raises(Forbidden) as refused:
            await attempt
        assert refused.value.code == code
    assert not (await service.list_senders(carol))[0].has_smtp_password

    mine = await service.create_sender(carol, address="carol@news.example.com")  # on bob's domain: using it
    await service.delete_sender(carol, mine.address)
    await service.set_smtp_password(bob, "hello@news.example.com", "Secret12Pass34")
    await service.delete_sender(alice, "hello@news.example.com")
    await service.delete_domain(alice, "news.example.com")
    assert await service.list_domains(bob) == []


async def test_a_sender_or_domain_tasks_still_send_from_is_not_deleted(
    runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any
) -> None:
    alice = team.admin.principal
    content = await make_content(alice)
    schedule = Schedule(type=TaskType.RECURRING, begin_at=clock.now() + timedelta(hours=1), interval_hours=24)
    weekly = await runtime.services.tasks.create(alice, content.task_request(schedule=schedule))
    shouting = content.task_request(schedule=schedule, from_address="HELLO@News.Example.com")
    daily = await runtime.services.tasks.create(team.members[0].principal, shouting)
    service = runtime.services.identities

    with pytest.raises(Conflict) as refused:
        await service.delete_sender(alice, "hello@news.example.com")
    assert refused.value.code == "sender_in_use"
    assert f"{weekly.id}, {daily.id}" in refused.value.message
    with pytest.raises(Conflict) as refused:
        await service.delete_domain(alice, "news.example.com")
    assert refused.value.code == "domain_in_use" and str(weekly.id) in refused.value.message
    assert len(await service.list_senders(alice)) == 1

    await runtime.services.tasks.cancel(alice, weekly.id)
    await runtime.services.tasks.cancel(alice, daily.id)
    await service.delete_sender(alice, "hello@news.example.com")
    await service.delete_domain(alice, "news.example.com")


async def test_native_api_answers_403_and_409(
    runtime: bootstrap.Runtime, api: Any, clock: Any, team: Any, make_content: Any
) -> None:
    content = await make_content(team.members[0].principal)
    carol = team.members[1]
    body = {"name": "taken", "text": "Mine now"}
    refused = await api.put(f"/v1/templates/{content.template_id}", json=body, auth=carol.auth)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "template_forbidden"
    added = await api.post(
        f"/v1/lists/{content.list_id}/recipients", json={"recipients": [{"address": "x@example.net"}]}, auth=carol.auth
    )
    assert added.status_code == 403 and added.json()["error"]["code"] == "list_forbidden"

    schedule = Schedule(type=TaskType.RECURRING, begin_at=clock.now() + timedelta(hours=1), interval_hours=24)
    task = await runtime.services.tasks.create(carol.principal, content.task_request(schedule=schedule))
    in_use = await api.delete("/v1/senders/hello@news.example.com", auth=team.admin.auth)
    assert in_use.status_code == 409, in_use.text
    assert in_use.json()["error"]["code"] == "sender_in_use" and str(task.id) in in_use.json()["error"]["message"]
