"""SMTP submission end to end: real clients (smtplib, swaks) against the listener, the worker sending through a
real relay, the official Tencent SDK reading the status; and every refusal leaving the database untouched."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import email.policy
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import time
from email.message import EmailMessage
from typing import Any

import dkim
import pytest
from tencentcloud.common import abstract_client, credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.ses.v20201002 import models, ses_client
from tests.smtpd.submission.conftest import PASSWORD, SENDER, Submission

from mailyard import bootstrap
from mailyard.system.certificates import fingerprint

pytestmark = pytest.mark.timeout(90)
ATTACHMENT = os.urandom(150_000)
RECIPIENTS = ["ann@example.org", "ben@example.org"]


def message(*, sender: str = SENDER, message_id: bool = False, attachment: bytes = ATTACHMENT, to: str = "") -> bytes:
    made = EmailMessage()
    made["From"] = f"News <{sender}>"
    made["To"] = to or ", ".join(RECIPIENTS)
    made["Subject"] = "Quarterly report"
    made.set_content("The report is attached.\n.\n..a line with dots\n")
    made.add_attachment(attachment, maintype="application", subtype="pdf", filename="report.pdf")
    if message_id:
        made["Message-ID"] = "<client-made@news.example.com>"
    return made.as_bytes(policy=email.policy.SMTP)


def submit(
    client: smtplib.SMTP, content: bytes, *, mail_from: str = SENDER, recipients: list[str] = RECIPIENTS
) -> tuple[int, str]:
    """MAIL, RCPT and DATA; the first reply that is not a success, or DATA's."""
    code, reply = client.mail(mail_from)
    if code != 250:
        return code, reply.decode()
    for recipient in recipients:
        code, reply = client.rcpt(recipient)
        if code != 250:
            return code, reply.decode()
    try:
        code, reply = client.data(content)
    except smtplib.SMTPDataError as error:
        return error.smtp_code, error.smtp_error.decode()
    return code, reply.decode()


def starttls_plain(
    submission: Submission, content: bytes, *, password: str = PASSWORD, **fields: Any
) -> tuple[int, str]:
    with smtplib.SMTP("127.0.0.1", submission.port, timeout=10) as client:
        client.starttls(context=submission.client_tls())
        client.ehlo()
        client.user, client.password = SENDER, password
        try:
            client.auth("PLAIN", client.auth_plain)
        except smtplib.SMTPAuthenticationError as error:
            return error.smtp_code, error.smtp_error.decode()
        return submit(client, content, **fields)


def implicit_tls_login(submission: Submission, content: bytes) -> tuple[int, str]:
    with smtplib.SMTP_SSL("127.0.0.1", submission.implicit_port, timeout=10, context=submission.client_tls()) as client:
        certificate = client.sock.getpeercert(binary_form=True)
        assert certificate == ssl.PEM_cert_to_DER_cert(submission.certificate.read_text())
        client.ehlo()
        client.user, client.password = SENDER, PASSWORD
        client.auth("LOGIN", client.auth_login)
        return submit(client, content)


def queued_id(reply: str) -> str:
    assert reply.startswith("2.0.0 queued as mailyard-"), reply
    return reply.rsplit(" ", 1)[1]


async def dkim_lookup(submission: Submission) -> Any:
    (domain,) = await submission.runtime.services.identities.list_domains(submission.principal)
    name = f"{domain.dkim_selector}._domainkey.{domain.domain}.".encode()
    return lambda query, timeout=5: domain.dkim_public_value.encode() if query == name else None


def attachment_of(data: bytes) -> bytes:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    (part,) = [part for part in parsed.iter_attachments()]
    assert part.get_filename() == "report.pdf"
    return bytes(part.get_content())


async def test_starttls_plain_message_arrives_signed_and_intact(
    submission: Submission, deliver: Any, relay: Any
) -> None:
    content = message()
    code, reply = await asyncio.to_thread(starttls_plain, submission, content)
    assert code == 250
    message_id = queued_id(reply)
    assert await submission.stored() == {"tasks": 1, "runs": 1, "deliveries": 2, "submitted_messages": 1}

    assert await deliver() == 2
    lookup = await dkim_lookup(submission)
    assert sorted(relay.handler.recipients) == RECIPIENTS
    for _, data in relay.handler.received:
        assert data.startswith(b"DKIM-Signature: v=1; a=rsa-sha256;")
        assert await asyncio.to_thread(dkim.verify, data, dnsfunc=lookup)
        assert attachment_of(data) == ATTACHMENT
        assert data.endswith(content.split(b"\r\n\r\n", 1)[1])  # the body exactly as sent
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert parsed["Subject"] == "Quarterly report" and parsed["To"] == ", ".join(RECIPIENTS)
        assert parsed["Message-ID"] and parsed["Date"]  # added: the client sent neither

    (found,) = {status.message_id for status in await statuses(submission)}
    assert found == message_id


async def statuses(submission: Submission) -> list[Any]:
    from mailyard.domain import paging

    today = submission.runtime.services.clock.now().date()
    window = paging.Window(offset=0, limit=100)
    return await submission.runtime.services.single_sends.statuses(submission.principal, today, window)


class SdkTime:
    """The `time` module as the Tencent SDK sees it, telling the test's fixed clock: the door checks signatures
    against the service's clock, so the SDK signs at that moment."""

    def __init__(self, clock: Any) -> None:
        self._clock = clock

    def time(self) -> float:
        return float(self._clock.now().timestamp())

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


async def test_implicit_tls_login_and_the_status_through_the_official_sdk(
    submission: Submission,
    team: Any,
    http_url: str,
    deliver: Any,
    relay: Any,
    clock: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(abstract_client, "time", SdkTime(clock))
    assert fingerprint(submission.certificate) == submission.listeners.tls.fingerprint  # type: ignore[union-attr]
    code, reply = await asyncio.to_thread(implicit_tls_login, submission, message(message_id=True))
    assert code == 250
    message_id = queued_id(reply)
    assert await deliver() == 2
    assert all(b"Message-ID: <client-made@news.example.com>" in data for _, data in relay.handler.received)

    http = HttpProfile(protocol="http", endpoint=http_url, reqTimeout=30)
    client = ses_client.SesClient(
        credential.Credential(*team.admin.auth), "ap-guangzhou", ClientProfile(httpProfile=http)
    )
    query = models.GetSendEmailStatusRequest()
    query.RequestDate, query.MessageId, query.Offset, query.Limit = "2026-03-02", message_id, 0, 10
    found = await asyncio.to_thread(client.GetSendEmailStatus, query)
    assert sorted(status.ToEmailAddress for status in found.EmailStatusList) == RECIPIENTS
    assert {status.MessageId for status in found.EmailStatusList} == {message_id}
    assert {status.SendStatus for status in found.EmailStatusList} == {0}  # delivered to the relay


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks is not installed (apt-get install swaks)")
async def test_swaks_sends_with_starttls_and_auth(
    submission: Submission, deliver: Any, relay: Any, tmp_path: Any
) -> None:
    attachment = tmp_path / "notes.txt"
    attachment.write_bytes(b"line one\nline two\n")
    command = [
        "swaks", "--server", f"127.0.0.1:{submission.port}", "--tls", "--tls-verify", "--tls-ca-path",
        str(submission.certificate), "--auth", "PLAIN", "--auth-user", SENDER, "--auth-password", PASSWORD,
        "--from", SENDER, "--to", "ann@example.org", "--header", "Subject: from swaks",
        "--attach", f"@{attachment}", "--timeout", "10",
    ]  # fmt: skip
    done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=30)
    assert "250 2.0.0 queued as mailyard-" in done.stdout, done.stdout + done.stderr
    assert await deliver() == 1
    (data,) = [data for _, data in relay.handler.received]
    assert b"Subject: from swaks" in data and b"DKIM-Signature:" in data
    parts = [part for part in email.message_from_bytes(data, policy=email.policy.default).iter_attachments()]
    assert [part.get_content() for part in parts] in (["line one\nline two\n"], [b"line one\nline two\n"])


async def refused(submission: Submission, attempt: Any, expected: str) -> None:
    before = await submission.stored()
    code, reply = await asyncio.to_thread(attempt)
    assert f"{code} {reply}".startswith(expected), (code, reply)
    assert await submission.stored() == before


async def test_wrong_password_is_535(submission: Submission) -> None:
    await refused(submission, lambda: starttls_plain(submission, message(), password="wrong"), "535 5.7.8")


async def test_wrong_header_from_and_envelope_are_550(submission: Submission) -> None:
    other = message(sender="someone@elsewhere.example")
    await refused(submission, lambda: starttls_plain(submission, other), "550 5.7.1")
    await refused(
        submission, lambda: starttls_plain(submission, message(), mail_from="x@elsewhere.example"), "550 5.7.1"
    )


async def test_oversize_is_552(submission: Submission) -> None:
    big = message(attachment=os.urandom(300_000))
    await refused(submission, lambda: starttls_plain(submission, big), "552 5.3.4")


async def test_quota_spent_is_452(submission: Submission, team: Any) -> None:
    await submission.runtime.services.access.update_account(team.admin.principal, daily_quota=2)
    code, _ = await asyncio.to_thread(starttls_plain, submission, message())
    assert code == 250
    await refused(submission, lambda: starttls_plain(submission, message()), "452 4.3.1")


async def test_rate_limits_are_451(submission: Submission) -> None:
    one = ["ann@example.org"]
    for _ in range(10):
        code, _ = await asyncio.to_thread(starttls_plain, submission, message(), recipients=one)
        assert code == 250
    await refused(submission, lambda: starttls_plain(submission, message(), recipients=one), "451 4.7.1")
    for index in range(10):  # 20 a second per account: the clock stands still
        code, _ = await asyncio.to_thread(starttls_plain, submission, message(), recipients=[f"r{index}@example.org"])
        assert code == 250
    await refused(submission, lambda: starttls_plain(submission, message(), recipients=["z@example.org"]), "451 4.7.1")


async def test_recipients_are_checked_at_rcpt_once_each_up_to_the_limit(submission: Submission) -> None:
    def replies() -> list[int]:
        with smtplib.SMTP("127.0.0.1", submission.port, timeout=10) as client:
            client.starttls(context=submission.client_tls())
            client.ehlo()
            client.login(SENDER, PASSWORD)
            client.mail(SENDER)
            codes = [client.rcpt("not an address")[0], client.rcpt("ann@example.org")[0]]
            codes += [client.rcpt("ANN@example.org")[0]]  # the same one again: not counted twice
            codes += [client.rcpt(f"r{index}@example.org")[0] for index in range(49)]
            codes += [client.rcpt("one-too-many@example.org")[0], client.rcpt("ann@example.org")[0]]
            return codes

    before = await submission.stored()
    codes = await asyncio.to_thread(replies)
    assert codes == [553] + [250] * 51 + [452, 250]
    assert await submission.stored() == before


async def test_relaying_without_auth_is_530(submission: Submission) -> None:
    def attempt() -> tuple[int, str]:
        with smtplib.SMTP("127.0.0.1", submission.port, timeout=10) as client:
            client.starttls(context=submission.client_tls())
            client.ehlo()
            return submit(client, message())

    await refused(submission, attempt, "530 5.7.0")


async def test_auth_before_tls_is_530_when_tls_is_required(runtime: bootstrap.Runtime, submission: Submission) -> None:
    strict = dataclasses.replace(
        runtime,
        settings=runtime.settings.model_copy(update={"submission_require_tls": True, "submission_smtps": "off"}),
    )
    listeners = await bootstrap.start_submission(strict)
    try:
        port = listeners.servers[0].sockets[0].getsockname()[1]

        def attempt() -> tuple[int, str]:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.ehlo()
                code, reply = client.docmd("AUTH", "PLAIN " + smtplib.SMTP.auth_plain(_plain_login()))
                return code, reply.decode()

        await refused(submission, attempt, "530 5.7.0")
    finally:
        await listeners.close()


def _plain_login() -> smtplib.SMTP:
    holder = smtplib.SMTP()
    holder.user, holder.password = SENDER, PASSWORD
    return holder


async def test_failed_logins_wait_out_a_window(submission: Submission, clock: Any) -> None:
    for _ in range(10):
        code, _ = await asyncio.to_thread(starttls_plain, submission, message(), password="wrong")
        assert code == 535
    code, reply = await asyncio.to_thread(starttls_plain, submission, message())
    assert code == 454, reply
    clock.advance(minutes=16)
    code, _ = await asyncio.to_thread(starttls_plain, submission, message())
    assert code == 250


async def test_a_garbage_command_stream_stores_nothing_and_the_server_stays_up(submission: Submission) -> None:
    def garbage() -> bytes:
        with socket.create_connection(("127.0.0.1", submission.port), timeout=10) as raw:
            raw.recv(1024)
            raw.sendall(b"\x00\xff\xfe GARBAGE\r\nEHLO x\r\nAUTH PLAIN !!!notbase64\r\nAUTH LOGIN\r\n*\r\n")
            raw.sendall(b"MAIL FROM:<" + b"a" * 5000 + b">\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
            raw.sendall(os.urandom(4096).replace(b"\r\n.\r\n", b"") + b"\r\nQUIT\r\n")
            raw.shutdown(socket.SHUT_WR)
            received = b""
            while chunk := raw.recv(65536):
                received += chunk
            return received

    before = await submission.stored()
    received = await asyncio.to_thread(garbage)
    assert b"Traceback" not in received and b"Error: (" not in received
    assert await submission.stored() == before

    def noop() -> int:
        with smtplib.SMTP("127.0.0.1", submission.port, timeout=10) as client:
            return client.noop()[0]

    assert await asyncio.to_thread(noop) == 250


async def test_large_submitted_messages_leave_the_worker_cache_without_failing(
    submission: Submission, deliver: Any, relay: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailyard.services import sending

    monkeypatch.setattr(sending, "CACHED_SUBMITTED_BYTES", 1)  # every submitted message is over the budget
    for index in range(3):
        code, _ = await asyncio.to_thread(starttls_plain, submission, message(), recipients=[f"r{index}@example.org"])
        assert code == 250
    assert await deliver() == 3
    assert sorted(relay.handler.recipients) == ["r0@example.org", "r1@example.org", "r2@example.org"]
    assert all(attachment_of(data) == ATTACHMENT for _, data in relay.handler.received)


async def test_bcc_recipients_get_the_message_without_the_bcc_header(
    submission: Submission, deliver: Any, relay: Any
) -> None:
    made = EmailMessage()
    made["From"], made["To"], made["Subject"] = SENDER, "ann@example.org", "blind copy"
    made["Bcc"] = "hidden@example.org"
    made.set_content("For Ann, and someone she does not see.\n")
    content = made.as_bytes(policy=email.policy.SMTP)
    assert b"\r\nBcc: hidden@example.org\r\n" in content
    recipients = ["ann@example.org", "hidden@example.org"]
    code, _ = await asyncio.to_thread(starttls_plain, submission, content, recipients=recipients)
    assert code == 250
    assert await deliver() == 2
    assert sorted(relay.handler.recipients) == recipients
    for _, data in relay.handler.received:
        assert b"hidden@example.org" not in data
        assert email.message_from_bytes(data)["Bcc"] is None


def signed_in(submission: Submission) -> smtplib.SMTP:
    client = smtplib.SMTP("127.0.0.1", submission.port, timeout=10)
    client.starttls(context=submission.client_tls())
    client.ehlo()
    client.login(SENDER, PASSWORD)
    return client


async def test_smtputf8_clients_submit_to_international_addresses(
    submission: Submission, deliver: Any, relay: Any
) -> None:
    recipients = ["jörg@example.org", "用户@例子.中国"]
    content = (
        f"From: Zoë News <{SENDER}>\r\nTo: {', '.join(recipients)}\r\nSubject: Grüße aus Zürich\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüezi mitenand!\r\n"
    ).encode()

    def attempt() -> tuple[bool, dict[str, tuple[int, bytes]]]:
        with signed_in(submission) as client:
            refused = client.sendmail(SENDER, recipients, content, mail_options=["SMTPUTF8"])
            return client.has_extn("smtputf8"), refused

    offered, refused_recipients = await asyncio.to_thread(attempt)
    assert offered and refused_recipients == {}
    assert await deliver() == 2
    assert sorted(relay.handler.recipients) == sorted(["jörg@example.org", "用户@xn--fsqu00a.xn--fiqs8s"])
    for _, data in relay.handler.received:
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert parsed["Subject"] == "Grüße aus Zürich" and parsed.get_content().strip() == "Grüezi mitenand!"


async def test_an_international_address_without_smtputf8_is_553(submission: Submission) -> None:
    def attempt() -> tuple[int, str]:
        with signed_in(submission) as client:
            client.mail(SENDER)
            client.send("RCPT TO:<jörg@example.org>\r\n".encode())  # smtplib itself sends only ASCII here
            code, reply = client.getreply()
            return code, reply.decode()

    await refused(submission, attempt, "553 5.6.7")
