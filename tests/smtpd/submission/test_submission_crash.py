"""250 only after commit: a `mailyard serve` process SIGKILLed right after its last 250 still delivers every
accepted message once it is started again (real processes, SQLite and PostgreSQL)."""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from tests.web.conftest import LiveService, free_port, start_service, stop_service

pytestmark = [pytest.mark.acceptance, pytest.mark.timeout(120)]
SENDER = "app@crash.example.com"
COUNT = 15


def submit_all(port: int) -> tuple[list[str], smtplib.SMTP]:
    """Submit COUNT messages from the trusted network on one session; the MessageIds of the 250 replies."""
    queued = []
    client = smtplib.SMTP("127.0.0.1", port, timeout=20)
    client.ehlo()
    for index in range(COUNT):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = SENDER, f"r{index}@example.org", f"copy {index}"
        message.set_content(f"message {index}\n")
        client.mail(SENDER)
        client.rcpt(f"r{index}@example.org")
        code, reply = client.data(message.as_bytes())
        assert code == 250, reply
        queued.append(reply.decode().rsplit(" ", 1)[1])
    return queued, client  # the session is left open: the server dies under it


def outbox_recipients(service: LiveService) -> set[str]:
    page = service.call("admin", "GET", "/outbox?limit=100")
    return {item["recipient"] for item in page["items"]}


def test_every_message_answered_250_is_delivered_after_a_sigkill(database_url: str, tmp_path: Path) -> None:
    smtp_port = free_port()
    env = {
        "MAILYARD_DATABASE_URL": database_url,
        "MAILYARD_SUBMISSION_SMTP": f"127.0.0.1:{smtp_port}",
        "MAILYARD_SUBMISSION_TRUSTED": "127.0.0.1/32",
        "MAILYARD_SUBMISSION_TRUSTED_ACCOUNT": "acme",
        "MAILYARD_POLL_SECONDS": "0.05",
    }
    data_dir = tmp_path / "serve"
    # First life: serves but does not send, so every accepted message is still queued when it dies.
    first = start_service(data_dir, env, "--api-only")
    keys = first.create_key("acme", "admin")
    first.call("admin", "POST", "/domains", {"domain": "crash.example.com"})
    first.call("admin", "POST", "/senders", {"address": SENDER})
    queued, session = submit_all(smtp_port)
    first.process.kill()
    first.process.wait(10)
    session.close()
    assert len(set(queued)) == COUNT

    second = start_service(data_dir, env)
    second.keys["admin"] = keys
    try:
        expected = {f"r{index}@example.org" for index in range(COUNT)}
        deadline = time.monotonic() + 60
        while outbox_recipients(second) != expected and time.monotonic() < deadline:
            time.sleep(0.2)
        assert outbox_recipients(second) == expected
        copies = httpx.get(f"{second.url}/v1/outbox?limit=100", auth=keys, timeout=10).json()["items"]
        assert len(copies) == COUNT  # each message once
    finally:
        stop_service(second)
