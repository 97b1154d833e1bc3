"""SendEmail, GetSendEmailStatus, GetStatisticsReport and GetAbuseReport through the official SDK against a
real `mailyard serve` process (sending into its built-in outbox)."""

from __future__ import annotations

import base64
import email
import email.policy
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tencentcloud.ses.v20201002 import models
from tests.web.conftest import LiveService
from tests.web.tencent.tencent_live import expect_code, live_service, request, ses, template_content

pytestmark = [
    pytest.mark.timeout(90),
    # The SDK warns whenever it reads the deprecated field the spec requires us to send (spec 1.5).
    pytest.mark.filterwarnings("ignore:parameter `UserComplainted` is deprecated:DeprecationWarning"),
]
SENDER = "hello@news.example.com"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(tmp_path_factory.mktemp("serve"), {"MAILYARD_POLL_SECONDS": "0.05"}) as live:
        live.create_key("acme", "admin")
        live.create_key("globex", "eve")
        client = ses(live, "admin")
        client.CreateEmailIdentity(request(models.CreateEmailIdentityRequest, EmailIdentity="news.example.com"))
        client.CreateEmailAddress(
            request(models.CreateEmailAddressRequest, EmailAddress=SENDER, EmailSenderName="News")
        )
        yield live


@pytest.fixture(scope="module")
def template_id(service: LiveService) -> int:
    made = ses(service, "admin").CreateEmailTemplate(
        request(
            models.CreateEmailTemplateRequest,
            TemplateName="code",
            TemplateContent=template_content("Your code is {{code}}"),
        )
    )
    return int(made.TemplateID)


def today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")


def send_request(template_id: int, **fields: Any) -> models.SendEmailRequest:
    template = request(models.Template, TemplateID=template_id, TemplateData='{"code": "1234"}')
    values: dict[str, Any] = {
        "FromEmailAddress": f"News <{SENDER}>",
        "Subject": "Code {{code}}",
        "Destination": ["ann@example.org", "ben@example.org"],
        "Cc": ["cy@example.org"],
        "Bcc": ["dee@example.org"],
        "ReplyToAddresses": "help@news.example.com",
        "Template": template,
        "Unsubscribe": "0",
    }
    values.update(fields)
    return request(models.SendEmailRequest, **values)


def statuses(service: LiveService, **fields: Any) -> list[models.SendEmailStatus]:
    values = {"RequestDate": today(), "Offset": 0, "Limit": 100} | fields
    found = ses(service, "admin").GetSendEmailStatus(request(models.GetSendEmailStatusRequest, **values))
    return list(found.EmailStatusList)


def wait_until_delivered(service: LiveService, message_id: str, count: int) -> list[models.SendEmailStatus]:
    deadline = time.monotonic() + 30
    while True:
        found = statuses(service, MessageId=message_id)
        if len(found) == count and all(status.DeliverStatus == 1 for status in found):
            return found
        assert time.monotonic() < deadline, [(status.ToEmailAddress, status.DeliverStatus) for status in found]
        time.sleep(0.1)


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_send_email_is_delivered_and_reported(service: LiveService, template_id: int, method: str) -> None:
    attachment = request(models.Attachment, FileName="note.txt", Content=base64.b64encode(b"hello file").decode())
    before = int(time.time())
    sent = ses(service, "admin", method).SendEmail(send_request(template_id, Attachments=[attachment]))
    assert sent.MessageId.startswith("mailyard-") and sent.RequestId

    found = wait_until_delivered(service, sent.MessageId, 4)
    assert [status.ToEmailAddress for status in found] == [
        "ann@example.org",
        "ben@example.org",
        "cy@example.org",
        "dee@example.org",
    ]
    first = found[0]
    assert (first.MessageId, first.FromEmailAddress, first.SendStatus) == (sent.MessageId, f"News <{SENDER}>", 0)
    assert before - 5 <= first.RequestTime <= first.DeliverTime <= time.time() + 5
    assert (first.UserOpened, first.UserClicked, first.UserComplained, first.UserComplainted) == (False,) * 4

    outbox = service.call("admin", "GET", "/outbox?limit=100")
    mine = [item for item in outbox["items"] if item["recipient"] == "dee@example.org"]
    with service.native("admin") as native:
        raw = native.get(f"/outbox/{mine[0]['id']}").content
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert (message["To"], message["Cc"], message["Subject"]) == (
        "ann@example.org, ben@example.org",
        "cy@example.org",
        "Code 1234",
    )
    assert message["Reply-To"] == "help@news.example.com" and b"dee@example.org" not in raw
    [part] = list(message.iter_attachments())
    assert (part.get_filename(), part.get_payload(decode=True)) == ("note.txt", b"hello file")

    by_recipient = statuses(service, ToEmailAddress="dee@example.org")
    assert sent.MessageId in {status.MessageId for status in by_recipient}
    assert statuses(service, MessageId=sent.MessageId, Offset=3, Limit=10)[0].ToEmailAddress == "dee@example.org"


def test_single_sends_are_not_send_tasks(service: LiveService, template_id: int) -> None:
    client = ses(service, "admin")
    client.SendEmail(send_request(template_id))
    listed = client.ListSendTasks(request(models.ListSendTasksRequest, Offset=0, Limit=100))
    assert listed.TotalCount == 0 and listed.Data == []


def test_other_accounts_see_no_status(service: LiveService, template_id: int) -> None:
    sent = ses(service, "admin").SendEmail(send_request(template_id))
    found = ses(service, "eve").GetSendEmailStatus(
        request(models.GetSendEmailStatusRequest, RequestDate=today(), Offset=0, Limit=10, MessageId=sent.MessageId)
    )
    assert found.EmailStatusList == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"Destination": [f"r{index}@example.org" for index in range(51)]}, "FailedOperation.TooManyRecipients"),
        ({"Bcc": ["ann@example.org"]}, "InvalidParameterValue"),
        ({"Destination": [], "Cc": [], "Bcc": []}, "MissingParameter.EmailsNecessary"),
        ({"Destination": ["nobody"]}, "InvalidParameterValue.IllegalEmailAddress"),
        ({"Subject": "x" * 101}, "InvalidParameterValue.SubjectLengthError"),
        ({"Template": None}, "MissingParameter.SendParamNecessary"),
        ({"Template": None, "Simple": request(models.Simple, Text="aGk=")}, "FailedOperation.WithOutPermission"),
        ({"FromEmailAddress": "other@news.example.com"}, "InvalidParameterValue.NoSuchSender"),
        ({"Unsubscribe": "13"}, "InvalidParameterValue"),
        (
            {"Attachments": [request(models.Attachment, FileName="a.txt", Content="aGk=")] * 11},
            "FailedOperation.TooManyAttachments",
        ),
        (
            {"Attachments": [request(models.Attachment, FileName="a.txt", Content="not base64!")]},
            "InvalidParameterValue.AttachContentIsWrong",
        ),
        (
            {"Attachments": [request(models.Attachment, FileName="a/b.txt", Content="aGk=")]},
            "FailedOperation.InvalidAttachName",
        ),
        (
            {"Attachments": [request(models.Attachment, FileName="big", Content="QUFB" * (4 * 1024 * 1024 // 3 + 2))]},
            "FailedOperation.AttachContentToolarge",
        ),
    ],
)
def test_send_email_refusals(service: LiveService, template_id: int, fields: dict[str, Any], code: str) -> None:
    expect_code(code, lambda: ses(service, "admin").SendEmail(send_request(template_id, **fields)))


def test_send_email_status_refusals(service: LiveService) -> None:
    old = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=31)).strftime("%Y-%m-%d")
    expect_code("FailedOperation.NotSupportDate", lambda: statuses(service, RequestDate=old))
    expect_code("InvalidParameterValue.WrongDate", lambda: statuses(service, RequestDate="2026/01/01"))
    expect_code("FailedOperation.InvalidLimit", lambda: statuses(service, Limit=101))
    assert statuses(service, MessageId="not-ours") == []


def test_statistics_report_counts_the_ledger(service: LiveService, template_id: int) -> None:
    client = ses(service, "admin")
    sent = client.SendEmail(send_request(template_id, Destination=["stats@gmail.com"], Cc=[], Bcc=[]))
    wait_until_delivered(service, sent.MessageId, 1)
    report = client.GetStatisticsReport(
        request(models.GetStatisticsReportRequest, StartDate=today(), EndDate=today(), ReceivingMailboxType="gmail.com")
    )
    [daily] = report.DailyVolumes
    assert (daily.SendDate, daily.RequestCount, daily.AcceptedCount, daily.DeliveredCount) == (today(), 1, 1, 1)
    assert (daily.OpenedCount, daily.ClickedCount, daily.BounceCount, daily.UnsubscribeCount) == (0, 0, 0, 0)
    assert report.OverallVolume.SendDate == today() and report.OverallVolume.RequestCount == 1
    everything = client.GetStatisticsReport(
        request(models.GetStatisticsReportRequest, StartDate=today(), EndDate=today(), Domain="news.example.com")
    )
    assert everything.OverallVolume.RequestCount >= 1
    expect_code(
        "InvalidParameterValue.WrongDate",
        lambda: client.GetStatisticsReport(
            request(models.GetStatisticsReportRequest, StartDate=today(), EndDate="2020-01-01")
        ),
    )
    expect_code("MissingParameter", lambda: client.GetStatisticsReport(request(models.GetStatisticsReportRequest)))


def test_abuse_report_is_empty(service: LiveService) -> None:
    client = ses(service, "admin")
    report = client.GetAbuseReport(
        request(models.GetAbuseReportRequest, StartTime="2025-10-14", EndTime="2025-10-15", Limit=10)
    )
    assert (report.Data, report.TotalCount) == ([], 0)
    expect_code(
        "InvalidParameter.InvalidStartTimeFormat",
        lambda: client.GetAbuseReport(
            request(models.GetAbuseReportRequest, StartTime="yesterday", EndTime="2025-10-15")
        ),
    )
    expect_code(
        "InvalidParameterValue.WrongDate",
        lambda: client.GetAbuseReport(
            request(models.GetAbuseReportRequest, StartTime="2025-10-16", EndTime="2025-10-15")
        ),
    )
