"""The store contract, run unchanged on SQLite and PostgreSQL: whatever the database, the same answers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from mailyard.domain import accounts, paging, recipients, runs, suppressions, tasks, templates
from mailyard.errors import InvalidInput, LimitExceeded
from mailyard.store import engine as engines
from mailyard.store import migrate

EVERYTHING = paging.Window(offset=0, limit=paging.MAX_PAGE_SIZE)
TABLES = {
    "accounts",
    "users",
    "access_keys",
    "sending_domains",
    "sender_addresses",
    "templates",
    "recipient_lists",
    "recipients",
    "tasks",
    "task_grants",
    "runs",
    "deliveries",
    "suppressions",
    "outbox_messages",
}


def checked(*addresses: str) -> list[recipients.RecipientInput]:
    return [recipients.check_recipient(address) for address in addresses]


def numbered(count: int, *, start: int = 0) -> list[tuple[str, None]]:
    return [(f"reader{number}@example.org", None) for number in range(start, start + count)]


async def get_task(runtime, account_id: int, task_id: int) -> tasks.Task:
    async with runtime.store.transaction() as repositories:
        found = await repositories.tasks.get(account_id, task_id)
    assert found is not None
    return found


async def ledger(runtime, task_id: int, run_id: int | None = None) -> dict[runs.DeliveryState, int]:
    """How many deliveries of a task (or of one run) are in each state, counted from the ledger rows."""
    async with runtime.store.transaction() as repositories:
        return {
            state: (await repositories.runs.deliveries(task_id, EVERYTHING, run_id=run_id, state=state)).total
            for state in runs.DeliveryState
        }


async def assert_counters_match_ledger(runtime, account_id: int, task_id: int) -> None:
    """Task and run counters are exactly what the ledger rows add up to."""
    counts = await ledger(runtime, task_id)
    counters = (await get_task(runtime, account_id, task_id)).counters
    assert counters.sent == counts[runs.DeliveryState.SENT]
    assert counters.failed == counts[runs.DeliveryState.FAILED]
    assert counters.cached == counts[runs.DeliveryState.QUEUED] + counts[runs.DeliveryState.SENDING]
    assert counters.skipped == counts[runs.DeliveryState.SKIPPED]
    assert counters.requested == counters.sent + counters.cached + counters.failed
    async with runtime.store.transaction() as repositories:
        task_runs = (await repositories.runs.list(task_id, EVERYTHING)).items
    for run in task_runs:
        run_counts = await ledger(runtime, task_id, run.id)
        assert run.skipped == run_counts[runs.DeliveryState.SKIPPED], run
        assert run.sent == run_counts[runs.DeliveryState.SENT], run
        assert run.failed == run_counts[runs.DeliveryState.FAILED], run
        assert run.requested == sum(run_counts.values()) - run.skipped, run


# --- schema ------------------------------------------------------------------------------------------------


async def test_migrations_apply_on_an_empty_database_and_are_idempotent(empty_database_url):
    engine = engines.create_engine(empty_database_url)
    try:
        await migrate.upgrade(engine)
        await migrate.upgrade(engine)
        async with engine.connect() as connection:
            names = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
            version = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    finally:
        await engine.dispose()
    assert names >= TABLES | {"alembic_version"}
    assert version == [ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()]


async def test_opening_a_runtime_twice_keeps_the_data(settings, clock, runtime, team):
    from mailyard import bootstrap

    reopened = await bootstrap.open_runtime(settings, clock=clock)
    try:
        users = await reopened.services.access.list_users(team.admin.principal)
    finally:
        await reopened.close()
    assert [user.nickname for user in users] == ["alice", "bob", "carol"]


# --- accounts, users, keys ---------------------------------------------------------------------------------


async def test_accounts_users_and_keys(runtime, clock):
    async with runtime.store.transaction() as repositories:
        account = await repositories.accounts.create(name="acme", time_zone="Europe/Paris", daily_quota=500)
        admin = await repositories.users.create(account_id=account.id, nickname="alice", role=accounts.Role.ADMIN)
        member = await repositories.users.create(account_id=account.id, nickname="bob", role=accounts.Role.MEMBER)
        key = await repositories.keys.create(user=member, secret_id="AKIDbob", sealed_secret="sealed-bob")
        other = await repositories.accounts.create(name="globex", time_zone="UTC", daily_quota=None)
        stranger = await repositories.users.create(account_id=other.id, nickname="bob", role=accounts.Role.ADMIN)

    assert account.created_at == clock.now()
    async with runtime.store.transaction() as repositories:
        assert await repositories.accounts.get(account.id) == account
        assert await repositories.accounts.get_by_name("acme") == account
        assert await repositories.accounts.get_by_name("nobody") is None
        assert await repositories.accounts.count() == 2
        assert await repositories.users.list(account.id) == [admin, member]
        assert await repositories.users.get_by_nickname(other.id, "bob") == stranger
        assert await repositories.users.get(other.id, member.id) is None  # ids do not cross accounts
        sealed, principal = await repositories.keys.find("AKIDbob") or (None, None)
        assert await repositories.keys.find("AKIDnobody") is None
        assert [found.secret_id for found in await repositories.keys.list(account.id)] == ["AKIDbob"]
        assert await repositories.keys.list(other.id) == []
        assert not await repositories.keys.delete(other.id, key.id)

    assert sealed == "sealed-bob"
    assert principal == accounts.Principal(
        account_id=account.id,
        account_name="acme",
        user_id=member.id,
        nickname="bob",
        role=accounts.Role.MEMBER,
        time_zone="Europe/Paris",
    )
    async with runtime.store.transaction() as repositories:
        assert await repositories.keys.delete(account.id, key.id)
        assert await repositories.keys.find("AKIDbob") is None


async def test_a_failed_unit_of_work_leaves_nothing_behind(runtime):
    with pytest.raises(RuntimeError):
        async with runtime.store.transaction() as repositories:
            await repositories.accounts.create(name="ghost", time_zone="UTC", daily_quota=None)
            raise RuntimeError("boom")
    async with runtime.store.transaction() as repositories:
        assert await repositories.accounts.get_by_name("ghost") is None


# --- templates ---------------------------------------------------------------------------------------------


async def test_templates_crud_and_paging(runtime, team, rival, clock):
    account_id = team.account_id
    async with runtime.store.transaction() as repositories:
        created = [
            await repositories.templates.create(
                account_id=account_id,
                created_by=team.admin.principal.user_id,
                name=f"t{number}",
                subject="Hi {{name}}",
                text="Hello {{name}}",
                html=None,
                review_status=templates.ReviewStatus.APPROVED,
            )
            for number in range(5)
        ]
    first = created[0]
    assert first.created_by == team.admin.principal.user_id
    clock.advance(minutes=5)
    async with runtime.store.transaction() as repositories:
        page = await repositories.templates.list(account_id, paging.Window(offset=1, limit=2))
        assert page.total == 5
        assert [found.name for found in page.items] == ["t3", "t2"]  # newest first
        assert await repositories.templates.get(account_id, first.id) == first
        assert await repositories.templates.get(rival.account_id, first.id) is None
        assert (await repositories.templates.list(rival.account_id, EVERYTHING)).total == 0
        changed = await repositories.templates.update(
            account_id=account_id,
            template_id=first.id,
            name="renamed",
            subject=None,
            text=None,
            html="<p>{{name}}</p>",
            review_status=templates.ReviewStatus.PENDING,
        )
        foreign_update = await repositories.templates.update(
            account_id=rival.account_id,
            template_id=first.id,
            name="stolen",
            subject=None,
            text="x",
            html=None,
            review_status=templates.ReviewStatus.APPROVED,
        )
    assert foreign_update is None
    assert changed is not None
    assert (changed.name, changed.subject, changed.text, changed.html) == (
        "renamed",
        None,
        None,
        "<p>{{name}}</p>",
    )
    assert changed.review_status is templates.ReviewStatus.PENDING
    assert changed.created_at == first.created_at
    assert changed.updated_at == clock.now()

    async with runtime.store.transaction() as repositories:
        assert not await repositories.templates.delete(rival.account_id, first.id)
        assert await repositories.templates.delete(account_id, first.id)
        assert await repositories.templates.get(account_id, first.id) is None
        assert not await repositories.templates.delete(account_id, first.id)


# --- recipient lists ---------------------------------------------------------------------------------------


async def test_lists_keep_invalid_addresses_with_their_reason(runtime, team, rival):
    async with runtime.store.transaction() as repositories:
        readers = await repositories.lists.create(
            account_id=team.account_id, created_by=team.admin.principal.user_id, name="Readers", description="all"
        )
        await repositories.lists.create(
            account_id=team.account_id, created_by=team.admin.principal.user_id, name="empty one", description=""
        )
        await repositories.lists.add_recipients(
            readers.id, checked("Ann@Example.org", "not-an-address", "", "ben@example.org")
        )
    async with runtime.store.transaction() as repositories:
        found = await repositories.lists.get(team.account_id, readers.id)
        page = await repositories.lists.list_recipients(readers.id, EVERYTHING)
        invalid = await repositories.lists.list_recipients(readers.id, EVERYTHING, valid=False)
        assert await repositories.lists.get(rival.account_id, readers.id) is None
    assert found is not None
    assert (found.total_count, found.valid_count, found.invalid_count) == (4, 2, 2)
    assert found.status is recipients.ListStatus.COMPLETE
    assert [item.address for item in page.items] == [
        "ann@example.org",
        "not-an-address",
        "",
        "ben@example.org",
    ]
    assert [(item.address, item.reason) for item in invalid.items] == [
        ("not-an-address", "address has no @"),
        ("", "empty address"),
    ]


async def test_list_and_recipient_filters_behave_alike_on_every_database(runtime, team):
    async with runtime.store.transaction() as repositories:
        news = await repositories.lists.create(
            account_id=team.account_id, created_by=team.admin.principal.user_id, name="Newsletter", description=""
        )
        await repositories.lists.create(
            account_id=team.account_id, created_by=team.admin.principal.user_id, name="100%_sure", description=""
        )
        await repositories.lists.create(
            account_id=team.account_id, created_by=team.admin.principal.user_id, name="1000 sure", description=""
        )
        await repositories.lists.add_recipients(
            news.id, checked("ann@example.org", "ANN_X@Example.org", "annex@example.org", "Bad Address")
        )
    async with runtime.store.transaction() as repositories:

        async def names(keyword: str | None, non_empty: bool | None = None) -> list[str]:
            page = await repositories.lists.list(team.account_id, EVERYTHING, keyword=keyword, non_empty=non_empty)
            return [found.name for found in page.items]

        async def addresses(**filters: object) -> list[str]:
            page = await repositories.lists.list_recipients(news.id, EVERYTHING, **filters)
            return [found.address for found in page.items]

        assert await names(None) == ["1000 sure", "100%_sure", "Newsletter"]
        assert await names("NEWS") == ["Newsletter"]  # case-insensitive everywhere
        assert await names("%_") == ["100%_sure"]  # LIKE wildcards are literal
        assert await names(None, non_empty=True) == ["Newsletter"]
        assert await names(None, non_empty=False) == ["1000 sure", "100%_sure"]
        assert await addresses(address_contains="ann_") == ["ann_x@example.org"]
        assert await addresses(address_contains="BAD") == ["Bad Address"]
        assert await addresses(valid=True) == ["ann@example.org", "ann_x@example.org", "annex@example.org"]
        page = await repositories.lists.list_recipients(news.id, paging.Window(offset=1, limit=2))
        assert (page.total, [found.address for found in page.items]) == (
            4,
            ["ann_x@example.org", "annex@example.org"],
        )


async def test_an_upload_holds_at_most_20000_recipients(runtime, team, make_content):
    content = await make_content(team.admin.principal, addresses=())
    service = runtime.services.recipients
    with pytest.raises(LimitExceeded) as refused:
        await service.add_recipients(team.admin.principal, content.list_id, numbered(20_001))
    assert refused.value.code == "upload_too_large"
    assert (await service.get_list(team.admin.principal, content.list_id)).total_count == 0

    report = await service.add_recipients(team.admin.principal, content.list_id, numbered(20_000))
    assert (report.total, report.valid, report.invalid) == (20_000, 20_000, 0)
    assert (await service.get_list(team.admin.principal, content.list_id)).total_count == 20_000


async def test_a_list_holds_at_most_50000_recipients(runtime, team, make_content):
    content = await make_content(team.admin.principal, addresses=())
    async with runtime.store.transaction() as repositories:
        await repositories.lists.add_recipients(content.list_id, checked(*(a for a, _ in numbered(49_999))))
    service = runtime.services.recipients
    with pytest.raises(LimitExceeded) as refused:
        await service.add_recipients(team.admin.principal, content.list_id, numbered(2, start=50_000))
    assert refused.value.code == "list_too_large"
    await service.add_recipients(team.admin.principal, content.list_id, numbered(1, start=50_000))
    with pytest.raises(LimitExceeded):
        await service.add_recipients(team.admin.principal, content.list_id, numbered(1, start=60_000))
    found = await service.get_list(team.admin.principal, content.list_id)
    assert (found.total_count, found.valid_count) == (50_000, 50_000)


async def test_recipient_variables_over_800_bytes_are_refused(runtime, team, make_content):
    content = await make_content(team.admin.principal, addresses=())
    service = runtime.services.recipients
    fits = {"name": "é" * 388}  # {"name":"…"} is 12 bytes + 776 = 788 bytes
    too_big = {"name": "é" * 395}  # 802 bytes
    with pytest.raises(InvalidInput) as refused:
        await service.add_recipients(
            team.admin.principal, content.list_id, [("ok@example.org", fits), ("big@example.org", too_big)]
        )
    assert refused.value.field == "variables"
    assert (await service.get_list(team.admin.principal, content.list_id)).total_count == 0  # all or nothing

    await service.add_recipients(team.admin.principal, content.list_id, [("ok@example.org", fits)])
    _found, page = await service.list_recipients(team.admin.principal, content.list_id, EVERYTHING)
    assert [item.variables for item in page.items] == [fits]


# --- tasks -------------------------------------------------------------------------------------------------


async def test_tasks_of_every_type_with_filters_and_paging(runtime, team, make_content, clock):
    alice, bob = team.admin.principal, team.members[0].principal
    content = await make_content(alice)
    other = await make_content(alice, list_name="others")
    service = runtime.services.tasks
    later = clock.now() + timedelta(hours=2)
    immediate = await service.create(alice, content.task_request(name="now"))
    scheduled = await service.create(
        alice,
        content.task_request(name="at", schedule=tasks.Schedule(type=tasks.TaskType.SCHEDULED, begin_at=later)),
    )
    recurring = await service.create(
        bob,
        other.task_request(
            name="every",
            variables={"name": "friend"},
            schedule=tasks.Schedule(type=tasks.TaskType.RECURRING, begin_at=later, interval_hours=24),
        ),
    )
    await service.pause(bob, recurring.id)

    assert immediate.state is tasks.TaskState.SENDING
    assert immediate.next_fire_at is None
    assert immediate.counters == tasks.Counters(requested=3, cached=3)
    assert scheduled.state is tasks.TaskState.PENDING
    assert (scheduled.next_fire_at, scheduled.schedule.begin_at) == (later, later)
    assert recurring.schedule.interval_hours == 24
    assert recurring.variables == {"name": "friend"}
    assert recurring.owner_nickname == "bob"

    async def listed(**filters: object) -> list[str]:
        page = await service.list(alice, tasks.TaskFilter(**filters), EVERYTHING)
        assert page.total == len(page.items)
        return [found.name for found in page.items]

    assert await listed() == ["every", "at", "now"]
    assert await listed(type=tasks.TaskType.SCHEDULED) == ["at"]
    assert await listed(type=tasks.TaskType.RECURRING) == ["every"]
    assert await listed(state=tasks.TaskState.SENDING) == ["now"]
    assert await listed(state=tasks.TaskState.PENDING) == ["every", "at"]
    assert await listed(recipient_list_id=other.list_id) == ["every"]
    assert await listed(owner_nickname="alice") == ["at", "now"]
    assert await listed(paused=True) == ["every"]
    assert await listed(paused=False, type=tasks.TaskType.IMMEDIATE) == ["now"]
    page = await service.list(alice, tasks.TaskFilter(), paging.Window(offset=1, limit=1))
    assert (page.total, [found.name for found in page.items]) == (3, ["at"])


async def test_starting_a_run_expands_the_list_skipping_invalid_and_suppressed(
    runtime, team, rival, make_content, clock
):
    alice = team.admin.principal
    content = await make_content(
        alice,
        addresses=(
            "ann@example.org",
            "no-at-sign",
            "blocked@example.org",
            "expired@example.org",
            "rival-blocked@example.org",
            "bounced@example.org",
        ),
    )
    async with runtime.store.transaction() as repositories:
        reason = suppressions.SuppressionReason
        add = repositories.suppressions.add
        await add(account_id=team.account_id, address="blocked@example.org", reason=reason.CUSTOM, expires_at=None)
        await add(
            account_id=team.account_id,
            address="expired@example.org",
            reason=reason.CUSTOM,
            expires_at=clock.now() - timedelta(seconds=1),
        )
        await add(
            account_id=team.account_id,
            address="bounced@example.org",
            reason=reason.HARD_BOUNCE,
            expires_at=clock.now() + timedelta(days=1),
        )
        await add(
            account_id=rival.account_id,
            address="rival-blocked@example.org",
            reason=reason.CUSTOM,
            expires_at=None,
        )

    task = await runtime.services.tasks.create(alice, content.task_request())

    async with runtime.store.transaction() as repositories:
        page = await repositories.runs.deliveries(task.id, EVERYTHING, run_id=None, state=None)
        run = await repositories.runs.latest(task.id)
    outcome = {delivery.address: (delivery.state.value, delivery.reason) for delivery in page.items}
    assert outcome == {
        "ann@example.org": ("queued", None),
        "no-at-sign": ("skipped", "invalid: address has no @"),
        "blocked@example.org": ("skipped", "suppressed: custom"),
        "expired@example.org": ("queued", None),
        "rival-blocked@example.org": ("queued", None),
        "bounced@example.org": ("skipped", "suppressed: hard_bounce"),
    }
    assert page.items[0].address == "ann@example.org"  # list order is kept
    assert run is not None
    assert (run.kind, run.status, run.fire_at) == (
        runs.RunKind.SCHEDULED,
        runs.RunStatus.PROCESSING,
        clock.now(),
    )
    assert (run.requested, run.skipped, run.sent, run.failed) == (3, 3, 0, 0)
    assert task.counters == tasks.Counters(requested=3, cached=3, skipped=3)
    assert len({delivery.message_id for delivery in page.items}) == 6
    await assert_counters_match_ledger(runtime, team.account_id, task.id)


async def test_a_run_with_nobody_to_send_to_is_finished_at_once(runtime, team, make_content, clock):
    alice = team.admin.principal
    content = await make_content(alice, addresses=("broken", "also broken"))
    task = await runtime.services.tasks.create(alice, content.task_request())
    run = await runtime.services.tasks.get_run(alice, task.id, None)
    assert run is not None
    assert (run.status, run.finished_at, run.requested, run.skipped) == (
        runs.RunStatus.SENT,
        clock.now(),
        0,
        2,
    )
    assert task.state is tasks.TaskState.DONE
    await assert_counters_match_ledger(runtime, team.account_id, task.id)


async def test_a_fire_time_runs_only_once(runtime, team, make_content, clock):
    alice = team.admin.principal
    content = await make_content(alice)
    later = clock.now() + timedelta(hours=1)
    task = await runtime.services.tasks.create(
        alice, content.task_request(schedule=tasks.Schedule(type=tasks.TaskType.SCHEDULED, begin_at=later))
    )
    async with runtime.store.transaction() as repositories:
        first = await repositories.runs.start(task, fire_at=later, kind=runs.RunKind.SCHEDULED)
    async with runtime.store.transaction() as repositories:
        again = await repositories.runs.start(task, fire_at=later, kind=runs.RunKind.SCHEDULED)
        manual_same_time = await repositories.runs.start(task, fire_at=later, kind=runs.RunKind.MANUAL)
        other_time = await repositories.runs.start(task, fire_at=later + timedelta(hours=1), kind=runs.RunKind.MANUAL)
    assert first is not None and other_time is not None
    assert again is None and manual_same_time is None
    assert (await ledger(runtime, task.id))[runs.DeliveryState.QUEUED] == 6
    await assert_counters_match_ledger(runtime, team.account_id, task.id)


async def test_two_schedulers_racing_for_one_fire_time_start_one_run(runtime, team, make_content, clock):
    alice = team.admin.principal
    content = await make_content(alice)
    later = clock.now() + timedelta(hours=1)
    task = await runtime.services.tasks.create(
        alice, content.task_request(schedule=tasks.Schedule(type=tasks.TaskType.SCHEDULED, begin_at=later))
    )
    first_started = asyncio.Event()
    second_entering = asyncio.Event()

    async def first() -> runs.Run | None:
        async with runtime.store.transaction() as repositories:
            run = await repositories.runs.start(task, fire_at=later, kind=runs.RunKind.SCHEDULED)
            first_started.set()
            await second_entering.wait()  # commit only once the second scheduler is on its way
            return run

    async def second() -> runs.Run | None:
        await first_started.wait()
        second_entering.set()
        async with runtime.store.transaction() as repositories:
            return await repositories.runs.start(task, fire_at=later, kind=runs.RunKind.SCHEDULED)

    started = await asyncio.wait_for(asyncio.gather(first(), second()), timeout=30)
    assert started[0] is not None and started[1] is None
    async with runtime.store.transaction() as repositories:
        assert (await repositories.runs.list(task.id, EVERYTHING)).total == 1
    await assert_counters_match_ledger(runtime, team.account_id, task.id)


async def test_cancel_skips_what_is_still_queued(runtime, team, make_content, clock):
    alice = team.admin.principal
    content = await make_content(alice, addresses=("ann@example.org", "ben@example.org", "invalid"))
    task = await runtime.services.tasks.create(alice, content.task_request())
    clock.advance(minutes=1)
    second_run = await runtime.services.tasks.create(alice, content.task_request(name="untouched"))

    cancelled = await runtime.services.tasks.cancel(alice, task.id)

    assert cancelled.state is tasks.TaskState.CANCELLED
    assert cancelled.schedule.terminated and cancelled.next_fire_at is None
    assert cancelled.counters == tasks.Counters(requested=0, cached=0, skipped=3)
    async with runtime.store.transaction() as repositories:
        page = await repositories.runs.deliveries(task.id, EVERYTHING, run_id=None, state=None)
        run = await repositories.runs.latest(task.id)
    assert {(item.address, item.state.value, item.reason) for item in page.items} == {
        ("ann@example.org", "skipped", "cancelled"),
        ("ben@example.org", "skipped", "cancelled"),
        ("invalid", "skipped", "invalid: address has no @"),
    }
    assert run is not None and run.status is runs.RunStatus.SENT and run.finished_at == clock.now()
    await assert_counters_match_ledger(runtime, team.account_id, task.id)
    untouched = await get_task(runtime, team.account_id, second_run.id)
    assert untouched.counters == tasks.Counters(requested=2, cached=2, skipped=1)
    assert (await ledger(runtime, second_run.id))[runs.DeliveryState.QUEUED] == 2


async def test_manual_runs_add_to_the_counters(runtime, team, make_content, clock):
    alice = team.admin.principal
    content = await make_content(alice, addresses=("ann@example.org", "invalid"))
    later = clock.now() + timedelta(days=1)
    task = await runtime.services.tasks.create(
        alice,
        content.task_request(schedule=tasks.Schedule(type=tasks.TaskType.RECURRING, begin_at=later, interval_hours=6)),
    )
    run = await runtime.services.tasks.run_now(alice, task.id)
    assert (run.kind, run.fire_at, run.requested, run.skipped) == (runs.RunKind.MANUAL, clock.now(), 1, 1)
    found = await get_task(runtime, team.account_id, task.id)
    assert found.next_fire_at == later  # a manual run does not move the schedule
    assert found.counters == tasks.Counters(requested=1, cached=1, skipped=1)
    await assert_counters_match_ledger(runtime, team.account_id, task.id)
