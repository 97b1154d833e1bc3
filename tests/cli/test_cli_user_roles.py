"""`mailyard users role`: the native API's role change from the command line, with its refusal of the last admin."""

from __future__ import annotations

import pytest
from tests.cli.test_cli_through_the_api import Cli, local  # noqa: F401 (the fixture)

pytestmark = pytest.mark.timeout(120)


def test_a_user_is_made_admin_then_member_and_the_last_admin_stays(local: Cli) -> None:  # noqa: F811
    local("users", "create", "bob")
    assert "bob is now admin" in local("users", "role", "--user", "bob", "--to", "admin")
    assert {user["nickname"]: user["role"] for user in local.json("users", "list")["items"]}["bob"] == "admin"
    assert "bob is now member" in local("users", "role", "--user", "bob", "--to", "member")
    refused = local("users", "role", "--user", "alice", "--to", "member", code=1)
    assert "at least one admin" in refused
    assert "not found" in local("users", "role", "--user", "nobody", "--to", "admin", code=1)
