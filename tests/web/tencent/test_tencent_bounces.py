"""Hearing back through the official SDK against a real `mailyard serve` with its inbound listener: a bounce
and a complaint mailed over SMTP to the copies' return paths show in ListBlackEmailAddress (with the diagnostic
as IspDesc), GetStatisticsReport, GetSendEmailStatus and GetAbuseReport."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tencentcloud.ses.v20201002 import models
from tests.web.conftest import LiveService, free_port
from tests.web.tencent.tencent_live import live_service, request, ses, template_content
from tests.worker import returned_mail

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.filterwarnings("ignore:parameter `UserComplainted` is deprecated:DeprecationWarning"),
]
SENDER = "hello@news.example.com"


@pytest.fixture(scope="module")
def inbound_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, inbound_port: int) -> Iterator[LiveService]:
    extra = {"MAILYARD_POLL_SECONDS": "0.05", "MAILYARD_INBOUND_SMTP": f"127.0.0.1:{inbound_port}"}
    with live_service(tmp_path_factory.mktemp("serve"), extra) as live:
        live.create_key("acme", "admin")
        live.create_key("globex", "eve")
        client = ses(live, "admin")
        client.CreateEmailIdentity(request(models.CreateEmailIdentityRequest, EmailIdentity="news.example.com"))
        client.CreateEmailAddress(request(models.CreateEmailAddressRequest, EmailAddress=SENDER))
        yield live


def today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")


def return_paths(service: LiveService, count: int) -> dict[str, str]:
    """Recipient → envelope sender of the copies in the outbox, once `count` are there."""
    deadline = time.monotonic() + 30
    while True:
        items = service.call("admin", "GET", "/outbox?limit=100")["items"]
        if len(items) >= count:
            return {item["recipient"]: item["envelope_from"] for item in items}
        assert time.monotonic() < deadline, items
        time.sleep(0.1)


def mail_back(port: int, recipient: str, content: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.sendmail("", [recipient], content)


def test_bounce_and_complaint_seen_through_the_sdk(service: LiveService, inbound_port: int) -> None:
    client = ses(service, "admin")
    made = client.CreateEmailTemplate(
        request(models.CreateEmailTemplateRequest, TemplateName="hi", TemplateContent=template_content("Hi {{n}}"))
    )
    template = request(models.Template, TemplateID=int(made.TemplateID), TemplateData='{"n": "you"}')
    sent = client.SendEmail(
        request(
            models.SendEmailRequest,
            FromEmailAddress=SENDER,
            Subject="Hi",
            Destination=["ann@example.org", "ben@example.org"],
            Template=template,
        )
    )
    verp = return_paths(service, 2)
    assert all(path.endswith("@bounce.news.example.com") for path in verp.values())

    mail_back(
        inbound_port, verp["ann@example.org"], returned_mail.postfix_dsn(verp["ann@example.org"], "ann@example.org")
    )
    complaint = returned_mail.complaint(
        "complaints@bounce.news.example.com", "ben@example.org", return_path=verp["ben@example.org"]
    )
    mail_back(inbound_port, "complaints@bounce.news.example.com", complaint)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        mail_back(inbound_port, "someone@example.com", b"Subject: relay me\r\n\r\nplease")

    listed = client.ListBlackEmailAddress(
        request(models.ListBlackEmailAddressRequest, StartDate=today(), EndDate=today(), Offset=0, Limit=10)
    )
    descriptions = {entry.EmailAddress: entry.IspDesc for entry in listed.BlackList}
    assert listed.TotalCount == 2
    assert "5.1.1" in descriptions["ann@example.org"] and "User unknown" in descriptions["ann@example.org"]
    assert descriptions["ben@example.org"] == "complaint (abuse report)"

    report = client.GetStatisticsReport(request(models.GetStatisticsReportRequest, StartDate=today(), EndDate=today()))
    overall: Any = report.OverallVolume
    assert (overall.RequestCount, overall.DeliveredCount, overall.BounceCount) == (2, 2, 1)

    found = client.GetSendEmailStatus(
        request(models.GetSendEmailStatusRequest, RequestDate=today(), MessageId=sent.MessageId, Offset=0, Limit=10)
    )
    by_address = {status.ToEmailAddress: status for status in found.EmailStatusList}
    assert by_address["ben@example.org"].UserComplained is True
    assert by_address["ann@example.org"].UserComplained is False

    abuse = client.GetAbuseReport(request(models.GetAbuseReportRequest, StartTime=today(), EndTime=today()))
    assert abuse.TotalCount == 1
    [reported] = abuse.Data
    assert (reported.OriginalRcptTo, reported.OriginalMailFrom, reported.Mta) == (
        "ben@example.org",
        SENDER,
        "example.org",
    )
    assert reported.Subject == "Hi" and reported.MessageId.endswith("@news.example.com")
    assert reported.ComplainTime.startswith(today()) and reported.DeliverTime.startswith(today())
    filtered = client.GetAbuseReport(
        request(models.GetAbuseReportRequest, StartTime=today(), EndTime=today(), Mta="gmail.com")
    )
    assert filtered.TotalCount == 0

    rival = ses(service, "eve").ListBlackEmailAddress(
        request(models.ListBlackEmailAddressRequest, StartDate=today(), EndDate=today(), Offset=0, Limit=10)
    )
    assert rival.TotalCount == 0
    rival_abuse = ses(service, "eve").GetAbuseReport(
        request(models.GetAbuseReportRequest, StartTime=today(), EndTime=today())
    )
    assert rival_abuse.TotalCount == 0
