"""The submission listener of a real `mailyard serve` process, on the loop `serve` runs on (uvloop where it is
installed): STARTTLS with AUTH PLAIN and implicit TLS with AUTH LOGIN, each message answered 250 with its
MessageId, a wrong password 535. The in-process tests cover every rule; this one covers the process's loop."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import uvloop
from tests.web.conftest import free_port, start_service, stop_service

from mailyard.cli.context import run
from mailyard.system.certificates import CERTIFICATE_FILE

pytestmark = [pytest.mark.acceptance, pytest.mark.timeout(120)]
SENDER = "app@loop.example.com"
PASSWORD = "Abcdef12345"


def test_commands_run_on_uvloop() -> None:
    async def loop_kind() -> type[asyncio.AbstractEventLoop]:
        return type(asyncio.get_running_loop())

    assert run(loop_kind) is uvloop.Loop


def message(subject: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = SENDER, "reader@example.org", subject
    mail.set_content("body\n")
    mail.add_attachment(b"%PDF-1.4 not really", maintype="application", subtype="pdf", filename="a.pdf")
    return mail


def test_tls_and_sign_in_work_in_a_serve_process(database_url: str, tmp_path: Path) -> None:
    plain_port, implicit_port = free_port(), free_port()
    env = {
        "MAILYARD_DATABASE_URL": database_url,
        "MAILYARD_SUBMISSION_SMTP": f"127.0.0.1:{plain_port}",
        "MAILYARD_SUBMISSION_SMTPS": f"127.0.0.1:{implicit_port}",
        "MAILYARD_SUBMISSION_REQUIRE_TLS": "1",
    }
    data_dir = tmp_path / "serve"
    service = start_service(data_dir, env, "--api-only")
    try:
        service.create_key("acme", "admin")
        service.call("admin", "POST", "/domains", {"domain": "loop.example.com"})
        service.call("admin", "POST", "/senders", {"address": SENDER})
        service.call("admin", "PUT", f"/senders/{SENDER}/smtp-password", {"password": PASSWORD})
        trusted = ssl.create_default_context(cafile=str(data_dir / CERTIFICATE_FILE))
        trusted.check_hostname = False  # the certificate names the machine, not 127.0.0.1

        with smtplib.SMTP("127.0.0.1", plain_port, timeout=20) as client:
            client.starttls(context=trusted)
            with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
                client.login(SENDER, "wrong password")
            assert refused.value.smtp_code == 535
            client.login(SENDER, PASSWORD)  # smtplib picks AUTH PLAIN first
            first = client.send_message(message("over STARTTLS"))
        with smtplib.SMTP_SSL("127.0.0.1", implicit_port, timeout=20, context=trusted) as client:
            client.ehlo()
            client.user, client.password = SENDER, PASSWORD
            code, reply = client.auth("LOGIN", client.auth_login)
            assert code == 235, reply
            client.mail(SENDER)
            client.rcpt("reader@example.org")
            code, reply = client.data(message("over implicit TLS").as_bytes())
        assert first == {}
        assert code == 250 and reply.startswith(b"2.0.0 queued as "), reply
        today = datetime.now(UTC).date()
        window = f"start={today - timedelta(days=1)}&end={today + timedelta(days=1)}"
        assert service.call("admin", "GET", f"/statistics?{window}")["overall"]["requested"] == 2
    finally:
        stop_service(service)
