"""SMTP passwords set through the native API and the CLI sign in to submission; the stored value is a hash."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import text

from mailyard import bootstrap
from mailyard.errors import AuthenticationFailed

SENDER = "hello@news.example.com"


@pytest.fixture
async def sender(runtime: bootstrap.Runtime, team: Any) -> str:
    principal = team.admin.principal
    await runtime.services.identities.create_domain(principal, "news.example.com")
    await runtime.services.identities.create_sender(principal, address=SENDER)
    return SENDER


async def test_the_native_api_sets_the_password(runtime: bootstrap.Runtime, api: Any, team: Any, sender: str) -> None:
    path = f"/v1/senders/{sender}/smtp-password"
    short = await api.put(path, json={"password": "short"}, auth=team.admin.auth)
    assert short.status_code == 422
    done = await api.put(path, json={"password": "Abcdef12345"}, auth=team.admin.auth)
    assert done.status_code == 204, done.text
    submitter = await runtime.services.submissions.sign_in(sender, "Abcdef12345", "192.0.2.1")
    assert submitter.address == sender and submitter.account_id == team.account_id
    with pytest.raises(AuthenticationFailed):
        await runtime.services.submissions.sign_in(sender, "Abcdef12346", "192.0.2.1")
    missing = await api.put(
        "/v1/senders/nobody@news.example.com/smtp-password", json={"password": "Abcdef12345"}, auth=team.admin.auth
    )
    assert missing.status_code == 404


@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_the_cli_sets_the_password(runtime: bootstrap.Runtime, sender: str) -> None:
    settings = runtime.settings
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILYARD_")}
    env |= {"MAILYARD_DATA_DIR": str(settings.data_dir), "MAILYARD_DATABASE_URL": settings.resolved_database_url}
    command = [
        sys.executable,
        "-m",
        "mailyard",
        "senders",
        "smtp-password",
        sender,
        "--account",
        "acme",
        "--password-stdin",
    ]
    done = await asyncio.to_thread(
        subprocess.run, command, input="Secret12345xyz\n", env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "SMTP password of hello@news.example.com set" in done.stdout
    assert (await runtime.services.submissions.sign_in(sender, "Secret12345xyz", "192.0.2.1")).address == sender
    async with runtime.engine.connect() as connection:
        stored = (await connection.execute(text("SELECT smtp_password_hash FROM sender_addresses"))).scalar_one()
    assert stored.startswith("$argon2id$") and "Secret12345xyz" not in stored
