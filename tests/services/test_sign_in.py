"""Dashboard sign-in on both databases: passwords, sessions that expire and end, and the failure throttle."""

from __future__ import annotations

import pytest
from tests.conftest import FixedClock, Team

from mailyard import bootstrap
from mailyard.errors import AuthenticationFailed, Forbidden, InvalidInput, SignInThrottled

PASSWORD = "a long password"


async def _with_password(runtime: bootstrap.Runtime, team: Team, nickname: str = "bob") -> None:
    person = next(member for member in team.members if member.nickname == nickname)
    await runtime.services.sign_in.reset_password(team.admin.principal, person.principal.user_id, PASSWORD)


async def test_good_credentials_open_a_session_that_knows_the_user(runtime: bootstrap.Runtime, team: Team) -> None:
    await _with_password(runtime, team)
    service = runtime.services.sign_in
    token, opened = await service.sign_in(account_name="acme", nickname="bob", password=PASSWORD, client_address="a")
    assert opened.principal.nickname == "bob" and not opened.principal.is_admin
    found = await service.session(token)
    assert found.principal == opened.principal and found.csrf_token == opened.csrf_token
    with pytest.raises(AuthenticationFailed):
        await service.session(token + "x")


async def test_the_account_may_be_left_out_only_when_there_is_one(
    runtime: bootstrap.Runtime, team: Team, rival: Team
) -> None:
    await _with_password(runtime, team)
    service = runtime.services.sign_in
    with pytest.raises(AuthenticationFailed):
        await service.sign_in(account_name="", nickname="bob", password=PASSWORD, client_address="a")
    await service.sign_in(account_name="acme", nickname="bob", password=PASSWORD, client_address="a")
    with pytest.raises(AuthenticationFailed):  # the same nickname means nothing in another account
        await service.sign_in(account_name="globex", nickname="bob", password=PASSWORD, client_address="a")


async def test_sessions_end_on_sign_out_on_expiry_and_on_a_new_password(
    runtime: bootstrap.Runtime, team: Team, clock: FixedClock
) -> None:
    await _with_password(runtime, team)
    service = runtime.services.sign_in

    async def open_session() -> str:
        token, _ = await service.sign_in(account_name="acme", nickname="bob", password=PASSWORD, client_address="a")
        return token

    token = await open_session()
    await service.sign_out(token)
    with pytest.raises(AuthenticationFailed):
        await service.session(token)

    token = await open_session()
    clock.advance(hours=13)
    with pytest.raises(AuthenticationFailed):
        await service.session(token)

    token = await open_session()
    bob = team.members[0].principal
    await service.reset_password(bob, bob.user_id, "another password")  # anyone may set its own
    with pytest.raises(AuthenticationFailed):
        await service.session(token)


async def test_five_failures_throttle_the_user_and_the_address_for_fifteen_minutes(
    runtime: bootstrap.Runtime, team: Team, clock: FixedClock
) -> None:
    await _with_password(runtime, team)
    await _with_password(runtime, team, "carol")
    service = runtime.services.sign_in
    for attempt in range(5):
        with pytest.raises(AuthenticationFailed):
            await service.sign_in(
                account_name="acme", nickname="bob", password="wrong", client_address=f"10.0.0.{attempt}"
            )
    with pytest.raises(SignInThrottled) as refused:  # the right password, from yet another address
        await service.sign_in(account_name="acme", nickname="bob", password=PASSWORD, client_address="10.0.1.1")
    assert 0 < refused.value.retry_after_seconds <= 15 * 60
    # Another user from a fresh address is not affected; five failures from one address block it for everyone.
    await service.sign_in(account_name="acme", nickname="carol", password=PASSWORD, client_address="10.0.2.2")
    for _attempt in range(5):
        with pytest.raises(AuthenticationFailed):
            await service.sign_in(account_name="acme", nickname="nobody", password="x", client_address="10.0.3.3")
    with pytest.raises(SignInThrottled):
        await service.sign_in(account_name="acme", nickname="carol", password=PASSWORD, client_address="10.0.3.3")

    clock.advance(minutes=16)
    await service.sign_in(account_name="acme", nickname="bob", password=PASSWORD, client_address="10.0.3.3")


async def test_passwords_are_hashed_and_checked(runtime: bootstrap.Runtime, team: Team) -> None:
    service = runtime.services.sign_in
    bob, carol = team.members[0].principal, team.members[1].principal
    with pytest.raises(InvalidInput):
        await service.reset_password(team.admin.principal, bob.user_id, "short")
    with pytest.raises(Forbidden):  # a member sets only its own
        await service.reset_password(carol, bob.user_id, PASSWORD)
    first = await service.initial_password(account_name="acme", nickname="alice")
    assert first is not None and len(first) >= 12
    assert await service.initial_password(account_name="acme", nickname="alice") is None  # only once
    await service.sign_in(account_name="acme", nickname="alice", password=first, client_address="a")


async def test_good_sign_ins_never_count_against_the_address(runtime: bootstrap.Runtime, team: Team) -> None:
    await _with_password(runtime, team)
    service = runtime.services.sign_in
    for _attempt in range(7):  # an office behind one address signs in all day long
        await service.sign_in(account_name="acme", nickname="bob", password=PASSWORD, client_address="10.9.9.9")
    with pytest.raises(AuthenticationFailed):
        await service.sign_in(account_name="acme", nickname="bob", password="wrong", client_address="10.9.9.9")
    await service.sign_in(account_name="acme", nickname="bob", password=PASSWORD, client_address="10.9.9.9")
