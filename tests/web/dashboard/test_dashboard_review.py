"""Template review in the dashboard (MAILYARD_TEMPLATE_REVIEW=on): admins approve or reject, members cannot."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import FixedClock

from mailyard import bootstrap
from mailyard.domain import accounts, templates
from mailyard.settings import Settings

PASSWORD = "a long password"
ORIGIN = "http://mailyard.test"


@pytest.fixture
async def reviewing(database_url: str, tmp_path: Path, clock: FixedClock) -> AsyncIterator[bootstrap.Runtime]:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, template_review="on")
    runtime = await bootstrap.open_runtime(settings, clock=clock)
    try:
        yield runtime
    finally:
        await runtime.close()


async def _signed_in(runtime: bootstrap.Runtime, nickname: str, role: accounts.Role) -> tuple[httpx.AsyncClient, str]:
    issued = await runtime.services.access.issue_key(account_name="acme", nickname=nickname, role=role)
    admin = await runtime.services.access.operator("acme")
    await runtime.services.sign_in.reset_password(admin, issued.user.id, PASSWORD)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=bootstrap.create_web_app(runtime)), base_url=ORIGIN)
    answer = await client.post("/sign-in", data={"account": "acme", "user": nickname, "password": PASSWORD})
    assert answer.status_code == 303
    page = await client.get("/templates")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    return client, token.group(1)


async def test_an_admin_approves_a_template_waiting_for_review_and_a_member_cannot(
    reviewing: bootstrap.Runtime,
) -> None:
    admin_client, admin_token = await _signed_in(reviewing, "alice", accounts.Role.ADMIN)
    member_client, member_token = await _signed_in(reviewing, "bob", accounts.Role.MEMBER)
    alice = await reviewing.services.access.operator("acme")
    template = await reviewing.services.templates.create(alice, name="news", subject="Hi", text="Hello", html=None)
    assert template.review_status is templates.ReviewStatus.PENDING
    path = f"/templates/{template.id}/review"

    page = await admin_client.get(f"/templates/{template.id}")
    assert "Awaiting review" in page.text and "Approve" in page.text
    refused = await member_client.post(path, data={"csrf_token": member_token, "decision": "approve"})
    assert refused.status_code == 403
    assert (await reviewing.services.templates.get(alice, template.id)).review_status is templates.ReviewStatus.PENDING

    done = await admin_client.post(path, data={"csrf_token": admin_token, "decision": "approve"})
    assert done.status_code == 303
    assert (await reviewing.services.templates.get(alice, template.id)).review_status is templates.ReviewStatus.APPROVED
    await admin_client.aclose()
    await member_client.aclose()
