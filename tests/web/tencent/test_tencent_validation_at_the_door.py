"""Input that used to be stored and fail at send time, or answer InternalError, is refused at once through the
official SDK with a Tencent error, and nothing is stored: a line break in ReplyToAddresses, nested or huge
values in TemplateData, ids beyond signed 64-bit, dates before year 1."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tencentcloud.ses.v20201002 import models
from tests.web.conftest import LiveService
from tests.web.tencent.tencent_live import expect_code, live_service, request, ses, template_content

pytestmark = pytest.mark.timeout(120)
SENDER = "news@mail.example.com"
BEYOND_INT64 = 2**63
FIVE_THOUSAND_DIGITS = "9" * 5000
DEEP = "[" * 5000 + "]" * 5000


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(tmp_path_factory.mktemp("serve"), {"MAILYARD_TENCENT_RATE_LIMIT": "1000"}) as live:
        live.create_key("acme", "admin")
        client = ses(live, "admin")
        client.CreateEmailIdentity(request(models.CreateEmailIdentityRequest, EmailIdentity="mail.example.com"))
        client.CreateEmailAddress(request(models.CreateEmailAddressRequest, EmailAddress=SENDER))
        client.CreateEmailTemplate(
            request(models.CreateEmailTemplateRequest, TemplateName="hi", TemplateContent=template_content("Hi"))
        )
        made = client.CreateReceiver(request(models.CreateReceiverRequest, ReceiversName="readers"))
        client.CreateReceiverDetail(
            request(models.CreateReceiverDetailRequest, ReceiverId=made.ReceiverId, Emails=["ann@example.org"])
        )
        yield live


def stored(service: LiveService) -> Any:
    """Everything the account holds that these requests could have added to."""
    return {
        path: service.call("admin", "GET", path)
        for path in ("/tasks?limit=100", "/lists?limit=100", "/lists/1/recipients?limit=100", "/outbox?limit=100")
    }


def template(data: str, template_id: int = 1) -> models.Template:
    return request(models.Template, TemplateID=template_id, TemplateData=data)


def batch_send(service: LiveService, **fields: Any) -> Callable[[], object]:
    values: dict[str, Any] = {
        "FromEmailAddress": SENDER,
        "ReceiverId": 1,
        "Subject": "Hello",
        "TaskType": 1,
        "Template": template("{}"),
    }
    values.update(fields)
    return lambda: ses(service, "admin").BatchSendEmail(request(models.BatchSendEmailRequest, **values))


def send(service: LiveService, **fields: Any) -> Callable[[], object]:
    values: dict[str, Any] = {
        "FromEmailAddress": SENDER,
        "Subject": "Hello",
        "Destination": ["ann@example.org"],
        "Template": template("{}"),
    }
    values.update(fields)
    return lambda: ses(service, "admin").SendEmail(request(models.SendEmailRequest, **values))


def long_ago() -> models.TimedEmailParam:
    return request(models.TimedEmailParam, BeginTime="0001-01-01 00:00:00")


CASES: list[tuple[str, str, Callable[[LiveService], Callable[[], object]]]] = [
    # ReplyToAddresses with a line break
    (
        "InvalidParameterValue.IllegalEmailAddress",
        "lf",
        lambda s: batch_send(s, ReplyToAddresses="help\n@mail.example.com"),
    ),
    (
        "InvalidParameterValue.IllegalEmailAddress",
        "crlf",
        lambda s: batch_send(s, ReplyToAddresses="help@mail.example.com\r\nBcc: x@y.org"),
    ),
    (
        "InvalidParameterValue.IllegalEmailAddress",
        "send crlf",
        lambda s: send(s, ReplyToAddresses="help@mail.example.com\r\nBcc: x@y.org"),
    ),
    # TemplateData: nested, 5,000 digits, nested 5,000 deep
    (
        "FailedOperation.WrongContentJson",
        "nested",
        lambda s: batch_send(s, Template=template(json.dumps({"a": {"b": 1}}))),
    ),
    (
        "FailedOperation.WrongContentJson",
        "digits",
        lambda s: batch_send(s, Template=template(f'{{"a": {FIVE_THOUSAND_DIGITS}}}')),
    ),
    ("FailedOperation.WrongContentJson", "deep", lambda s: batch_send(s, Template=template(f'{{"a": {DEEP}}}'))),
    (
        "FailedOperation.WrongContentJson",
        "send digits",
        lambda s: send(s, Template=template(f'{{"a": {FIVE_THOUSAND_DIGITS}}}')),
    ),
    ("FailedOperation.WrongContentJson", "send deep", lambda s: send(s, Template=template(f'{{"a": {DEEP}}}'))),
    # ids beyond signed 64-bit
    ("InvalidParameterValue", "list id", lambda s: batch_send(s, ReceiverId=BEYOND_INT64)),
    ("InvalidParameterValue", "template id", lambda s: batch_send(s, Template=template("{}", BEYOND_INT64))),
    ("InvalidParameterValue", "send template id", lambda s: send(s, Template=template("{}", BEYOND_INT64))),
    # a begin time before year 1 in UTC
    ("InvalidParameter.InvalidStartTimeFormat", "year 1", lambda s: batch_send(s, TaskType=2, TimedParam=long_ago())),
]


@pytest.mark.parametrize(("code", "case", "call"), CASES, ids=[case for _code, case, _call in CASES])
def test_refused_at_once_and_nothing_stored(
    service: LiveService, code: str, case: str, call: Callable[[LiveService], Callable[[], object]]
) -> None:
    before = stored(service)
    refused = expect_code(code, call(service))
    assert "internal" not in refused.get_message().lower()
    assert stored(service) == before


def test_ids_beyond_signed_64_bit_are_refused_everywhere(service: LiveService) -> None:
    client = ses(service, "admin")
    before = stored(service)
    calls: list[Callable[[], object]] = [
        lambda: client.GetEmailTemplate(request(models.GetEmailTemplateRequest, TemplateID=BEYOND_INT64)),
        lambda: client.DeleteEmailTemplate(request(models.DeleteEmailTemplateRequest, TemplateID=BEYOND_INT64)),
        lambda: client.CreateReceiverDetail(
            request(models.CreateReceiverDetailRequest, ReceiverId=BEYOND_INT64, Emails=["bo@example.org"])
        ),
        lambda: client.DeleteReceiver(request(models.DeleteReceiverRequest, ReceiverId=BEYOND_INT64)),
        lambda: client.ListSendTasks(request(models.ListSendTasksRequest, Offset=0, Limit=10, ReceiverId=BEYOND_INT64)),
    ]
    for call in calls:
        expect_code("InvalidParameterValue", call)
    assert stored(service) == before


def test_dates_before_year_1_in_utc_are_refused(service: LiveService) -> None:
    client = ses(service, "admin")
    before = stored(service)
    expect_code(
        "InvalidParameterValue",
        lambda: client.GetStatisticsReport(
            request(models.GetStatisticsReportRequest, StartDate="0001-01-01", EndDate="0001-01-02")
        ),
    )
    expect_code(
        "InvalidParameterValue",
        lambda: client.ListBlackEmailAddress(
            request(
                models.ListBlackEmailAddressRequest, StartDate="0001-01-01", EndDate="0001-01-02", Limit=10, Offset=0
            )
        ),
    )
    expect_code(
        "InvalidParameterValue",
        lambda: client.CreateCustomBlacklist(
            request(models.CreateCustomBlacklistRequest, Emails=["bo@example.org"], ExpireDate="0001-01-01")
        ),
    )
    assert (
        client.ListCustomBlacklist(request(models.ListCustomBlacklistRequest, Offset=0, Limit=10, Status=1)).TotalCount
        == 0
    )
    assert stored(service) == before
