"""`mailyard users role`: the native API's role change from the command line, with its refusal of the last admin."""

from __future__ import annotations

import pytest
from tests.cli.conftest import Cli

pytestmark = pytest.mark.timeout(120)


def test_a_user_is_made_admin_then_member_and_the_last_admin_stays(local: Cli) -> None:
    local.output("users", "create", "bob")
    assert "bob is now admin" in local.output("users", "role", "--user", "bob", "--to", "admin")
    assert {user["nickname"]: user["role"] for user in local.json("users", "list")["items"]}["bob"] == "admin"
    assert "bob is now member" in local.output("users", "role", "--user", "bob", "--to", "member")
    refused = local.output("users", "role", "--user", "alice", "--to", "member", code=1)
    assert "at least one admin" in refused
    assert "not found" in local.output("users", "role", "--user", "nobody", "--to", "admin", code=1)
