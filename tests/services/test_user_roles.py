"""Changing a user's role: admins only, inside their account, and an account always keeps an admin."""

from __future__ import annotations

import asyncio

import pytest
from tests.conftest import Team

from mailyard import bootstrap
from mailyard.domain.accounts import Role
from mailyard.errors import Conflict, ErrorCode, Forbidden, NotFound


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
