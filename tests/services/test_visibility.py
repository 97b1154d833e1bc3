"""The visibility rule: accounts never see each other; admins see their whole account; members see their own
tasks and those granted to them, and may run (not manage) a task they only see through a grant."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mailyard.domain import paging, tasks
from mailyard.errors import Forbidden, NotFound

EVERYTHING = paging.Window(offset=0, limit=paging.MAX_PAGE_SIZE)


async def visible_task_ids(runtime, person) -> set[int]:
    page = await runtime.services.tasks.list(person.principal, tasks.TaskFilter(), EVERYTHING)
    assert page.total == len(page.items)
    return {task.id for task in page.items}


@pytest.fixture
async def acme_tasks(runtime, team, make_content):
    """alice (admin), bob and carol (members) of acme each own one task."""
    content = await make_content(team.admin.principal)
    alice, bob, carol = team.admin, *team.members
    return {
        person.nickname: await runtime.services.tasks.create(
            person.principal, content.task_request(name=person.nickname)
        )
        for person in (alice, bob, carol)
    }


async def test_accounts_never_see_each_others_anything(runtime, team, rival, make_content, acme_tasks):
    services = runtime.services
    gina = rival.admin.principal
    acme_content = await make_content(team.admin.principal, list_name="second")
    await make_content(gina, domain="globex.example.com", list_name="globex readers")

    assert await visible_task_ids(runtime, rival.admin) == set()
    assert {found.domain for found in await services.identities.list_domains(gina)} == {"globex.example.com"}
    assert [found.address for found in await services.identities.list_senders(gina)] == ["hello@globex.example.com"]
    assert [found.name for found in (await services.recipients.list_lists(gina, EVERYTHING)).items] == [
        "globex readers"
    ]
    assert (await services.templates.list(gina, EVERYTHING)).total == 1
    assert {user.nickname for user in await services.access.list_users(gina)} == {"gina", "hank"}
    assert all(key.account_id == rival.account_id for key in await services.access.list_keys(gina))

    # Guessing acme's ids from globex finds nothing, and never says "forbidden" (that would confirm they exist).
    task_id = acme_tasks["bob"].id
    attempts = [
        services.tasks.get(gina, task_id),
        services.tasks.pause(gina, task_id),
        services.tasks.cancel(gina, task_id),
        services.tasks.run_now(gina, task_id),
        services.tasks.grant(gina, task_id, "hank"),
        services.tasks.list_runs(gina, task_id, EVERYTHING),
        services.tasks.deliveries(gina, task_id, EVERYTHING),
        services.templates.get(gina, acme_content.template_id),
        services.templates.preview(gina, acme_content.template_id, {}),
        services.templates.delete(gina, acme_content.template_id),
        services.templates.update(gina, acme_content.template_id, name="x", subject=None, text="x", html=None),
        services.recipients.get_list(gina, acme_content.list_id),
        services.recipients.list_recipients(gina, acme_content.list_id, EVERYTHING),
        services.recipients.add_recipients(gina, acme_content.list_id, [("spy@example.org", None)]),
        services.recipients.delete_list(gina, acme_content.list_id),
        services.identities.get_domain(gina, "news.example.com"),
        services.identities.verify_domain(gina, "news.example.com"),
        services.identities.delete_domain(gina, "news.example.com"),
        services.identities.delete_sender(gina, "hello@news.example.com"),
        services.identities.set_smtp_password(gina, "hello@news.example.com", "secret"),
        services.access.create_key(gina, user_id=team.members[0].principal.user_id),
        services.access.delete_key(gina, 1),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            await attempt

    # A task of globex cannot use acme's content either.
    with pytest.raises(NotFound) as refused:
        await services.tasks.create(gina, acme_content.task_request())
    assert refused.value.code == "sender_not_found"

    # And acme is untouched.
    alice = team.admin.principal
    assert (await services.recipients.get_list(alice, acme_content.list_id)).total_count == 3
    assert (await services.templates.get(alice, acme_content.template_id)).name == "greeting"
    assert (await services.tasks.get(alice, task_id)).state is tasks.TaskState.SENDING


async def test_a_domain_name_is_per_account(runtime, team, rival):
    services = runtime.services
    await services.identities.create_domain(team.admin.principal, "shared.example.com")
    theirs = await services.identities.create_domain(rival.admin.principal, "shared.example.com")
    await services.identities.delete_domain(rival.admin.principal, "shared.example.com")
    assert theirs.account_id == rival.account_id
    assert [found.domain for found in await services.identities.list_domains(team.admin.principal)] == [
        "shared.example.com"
    ]


async def test_admin_sees_every_task_of_its_account(runtime, team, acme_tasks):
    assert await visible_task_ids(runtime, team.admin) == {task.id for task in acme_tasks.values()}
    for task in acme_tasks.values():
        assert (await runtime.services.tasks.get(team.admin.principal, task.id)).id == task.id


async def test_member_sees_its_own_and_granted_tasks_until_revoked(runtime, team, acme_tasks):
    services = runtime.services
    bob, carol = team.members
    alice_task, bob_task, carol_task = acme_tasks["alice"], acme_tasks["bob"], acme_tasks["carol"]
    assert await visible_task_ids(runtime, bob) == {bob_task.id}

    with pytest.raises(Forbidden) as hidden:
        await services.tasks.get(bob.principal, alice_task.id)
    assert hidden.value.code == "task_forbidden"
    for reading in (
        services.tasks.list_runs(bob.principal, carol_task.id, EVERYTHING),
        services.tasks.deliveries(bob.principal, carol_task.id, EVERYTHING),
        services.tasks.get_run(bob.principal, carol_task.id, None),
    ):
        with pytest.raises(Forbidden):
            await reading

    granted = await services.tasks.grant(team.admin.principal, alice_task.id, "bob")
    await services.tasks.grant(team.admin.principal, alice_task.id, "bob")  # granting twice is harmless
    assert granted.nickname == "bob"
    assert await visible_task_ids(runtime, bob) == {bob_task.id, alice_task.id}
    assert await visible_task_ids(runtime, carol) == {carol_task.id}
    assert (await services.tasks.get(bob.principal, alice_task.id)).owner_nickname == "alice"
    assert (await services.tasks.list_runs(bob.principal, alice_task.id, EVERYTHING)).total == 1

    await services.tasks.revoke(team.admin.principal, alice_task.id, "bob")
    assert await visible_task_ids(runtime, bob) == {bob_task.id}
    with pytest.raises(Forbidden):
        await services.tasks.get(bob.principal, alice_task.id)
    with pytest.raises(NotFound) as again:
        await services.tasks.revoke(team.admin.principal, alice_task.id, "bob")
    assert again.value.code == "grant_not_found"


async def test_an_owner_may_share_its_own_task(runtime, team, acme_tasks):
    bob, carol = team.members
    await runtime.services.tasks.grant(bob.principal, acme_tasks["bob"].id, "carol")
    assert acme_tasks["bob"].id in await visible_task_ids(runtime, carol)
    with pytest.raises(NotFound) as unknown:
        await runtime.services.tasks.grant(bob.principal, acme_tasks["bob"].id, "nobody")
    assert unknown.value.code == "user_not_found"


async def test_a_grantee_may_not_manage_the_task(runtime, team, acme_tasks):
    services = runtime.services
    bob = team.members[0]
    alice_task = acme_tasks["alice"]
    await services.tasks.grant(team.admin.principal, alice_task.id, "bob")

    for managing in (
        services.tasks.pause(bob.principal, alice_task.id),
        services.tasks.resume(bob.principal, alice_task.id),
        services.tasks.cancel(bob.principal, alice_task.id),
        services.tasks.grant(bob.principal, alice_task.id, "carol"),
        services.tasks.revoke(bob.principal, alice_task.id, "bob"),
    ):
        with pytest.raises(Forbidden) as refused:
            await managing
        assert refused.value.code == "task_forbidden"

    unchanged = await services.tasks.get(team.admin.principal, alice_task.id)
    assert (unchanged.paused, unchanged.state) == (False, tasks.TaskState.SENDING)
    assert await visible_task_ids(runtime, team.members[1]) == {acme_tasks["carol"].id}

    bob_task = acme_tasks["bob"]
    await services.tasks.pause(team.admin.principal, bob_task.id)  # an admin manages every task
    assert (await services.tasks.get(bob.principal, bob_task.id)).paused


async def test_a_grantee_runs_a_shared_task(runtime, team, make_content, clock):
    services = runtime.services
    bob = team.members[0]
    content = await make_content(team.admin.principal)

    task = await services.tasks.create(
        team.admin.principal,
        content.task_request(
            schedule=tasks.Schedule(
                type=tasks.TaskType.RECURRING, begin_at=clock.now() + timedelta(days=1), interval_hours=24
            )
        ),
    )
    with pytest.raises(Forbidden):
        await services.tasks.run_now(bob.principal, task.id)
    await services.tasks.grant(team.admin.principal, task.id, "bob")
    run = await services.tasks.run_now(bob.principal, task.id)
    assert (run.task_id, run.requested) == (task.id, 3)


async def test_unknown_ids_are_not_found_and_huge_ids_too(runtime, team):
    alice = team.admin.principal
    for missing in (999, 2**63 - 1):
        with pytest.raises(NotFound):
            await runtime.services.tasks.get(alice, missing)
        with pytest.raises(NotFound):
            await runtime.services.templates.get(alice, missing)
        with pytest.raises(NotFound):
            await runtime.services.recipients.get_list(alice, missing)
