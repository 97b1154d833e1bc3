"""PUT /v1/users/{id}/role: admins make users of their account admin or member; the account keeps an admin."""

from __future__ import annotations

from tests.conftest import Team


async def test_an_admin_changes_roles_and_the_last_admin_stays(api, team: Team, rival: Team) -> None:
    bob = team.members[0]
    path = f"/v1/users/{bob.principal.user_id}/role"
    promoted = await api.put(path, json={"role": "admin"}, auth=team.admin.auth)
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    assert (await api.get("/v1/me", auth=bob.auth)).json()["role"] == "admin"
    assert (await api.put(path, json={"role": "member"}, auth=team.admin.auth)).json()["role"] == "member"

    alice_path = f"/v1/users/{team.admin.principal.user_id}/role"
    last = await api.put(alice_path, json={"role": "member"}, auth=team.admin.auth)
    assert last.status_code == 409 and last.json()["error"]["code"] == "last_admin"
    refused = await api.put(path, json={"role": "admin"}, auth=team.members[1].auth)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "admin_required"
    elsewhere = await api.put(
        f"/v1/users/{rival.members[0].principal.user_id}/role", json={"role": "admin"}, auth=team.admin.auth
    )
    assert elsewhere.status_code == 404
    unknown_role = await api.put(path, json={"role": "owner"}, auth=team.admin.auth)
    assert unknown_role.status_code == 422
    assert (await api.get("/v1/me", auth=bob.auth)).json()["role"] == "member"
