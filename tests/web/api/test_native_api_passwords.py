"""PUT /v1/users/{id}/password: admins set anyone's dashboard password in their account, others only their own."""

from __future__ import annotations

from tests.conftest import Team

from mailyard import bootstrap


async def test_admins_set_any_password_members_only_their_own(api, runtime: bootstrap.Runtime, team: Team) -> None:
    bob, carol = team.members[0], team.members[1]
    path = f"/v1/users/{bob.principal.user_id}/password"
    assert (await api.put(path, json={"password": "bob's first"}, auth=team.admin.auth)).status_code == 204
    assert (await api.put(path, json={"password": "bob's second"}, auth=bob.auth)).status_code == 204
    refused = await api.put(path, json={"password": "carol was here"}, auth=carol.auth)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "admin_required"
    too_short = await api.put(path, json={"password": "short"}, auth=team.admin.auth)
    assert too_short.status_code == 400 and too_short.json()["error"]["code"] == "password_invalid"
    _token, session = await runtime.services.sign_in.sign_in(
        account_name="acme", nickname="bob", password="bob's second", client_address="test"
    )
    assert session.principal.user_id == bob.principal.user_id


async def test_a_user_of_another_account_is_not_found(api, team: Team, rival: Team) -> None:
    path = f"/v1/users/{rival.members[0].principal.user_id}/password"
    answer = await api.put(path, json={"password": "a long password"}, auth=team.admin.auth)
    assert answer.status_code == 404
