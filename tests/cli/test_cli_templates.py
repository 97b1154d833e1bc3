"""`mailyard templates approve|reject`: the operator (an admin) ends a template's review."""

from __future__ import annotations

import json

import pytest
from tests.cli.conftest import Cli

from mailyard import bootstrap
from mailyard.domain import templates

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def cli_settings() -> dict[str, str]:
    return {"MAILYARD_TEMPLATE_REVIEW": "on"}


def template_in_review(cli: Cli) -> int:
    cli("keys", "create", "--account", "acme", "--user", "alice", "--json")

    async def create(runtime: bootstrap.Runtime) -> int:
        principal = await runtime.services.access.operator("acme")
        made = await runtime.services.templates.create(principal, name="hello", subject=None, text="Hi", html=None)
        assert made.review_status is templates.ReviewStatus.PENDING
        return made.id

    return cli.with_services(create)


def review_status(cli: Cli, template_id: int) -> templates.ReviewStatus:
    async def read(runtime: bootstrap.Runtime) -> templates.ReviewStatus:
        principal = await runtime.services.access.operator("acme")
        return (await runtime.services.templates.get(principal, template_id)).review_status

    return cli.with_services(read)


def test_approve_then_reject(cli: Cli) -> None:
    template_id = template_in_review(cli)
    approved = cli("templates", "approve", str(template_id), "--account", "acme")
    assert approved.output.split() == ["id", str(template_id), "name", "hello", "review_status", "approved"]
    assert review_status(cli, template_id) is templates.ReviewStatus.APPROVED
    rejected = cli("templates", "reject", str(template_id), "--json")
    assert json.loads(rejected.output)["review_status"] == "rejected"
    assert review_status(cli, template_id) is templates.ReviewStatus.REJECTED


def test_unknown_template_is_one_line_and_exit_code_1(cli: Cli) -> None:
    template_in_review(cli)
    result = cli("templates", "approve", "424242", succeeds=False)
    assert result.exit_code == 1
    assert "error: template 424242 not found" in result.output
    assert "Traceback" not in result.output
