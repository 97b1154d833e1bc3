"""Shared resources through the official SDK: a member changes only what it created, and a sender or domain
that a task may still send from is not deleted (the error names the task)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from tencentcloud.ses.v20201002 import models
from tests.web.conftest import LiveService
from tests.web.tencent.tencent_live import add_user, expect_code, live_service, request, ses, template_content

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(tmp_path_factory.mktemp("serve"), {"MAILYARD_TENCENT_RATE_LIMIT": "1000"}, "--api-only") as live:
        live.create_key("acme", "admin")
        add_user(live, "admin", "alice")
        add_user(live, "admin", "bob")
        yield live


def test_members_change_only_what_they_created(service: LiveService) -> None:
    bob, alice = ses(service, "bob"), ses(service, "alice")
    content = template_content("Hi {{name}}")
    template_id = bob.CreateEmailTemplate(
        request(models.CreateEmailTemplateRequest, TemplateName="bob's", TemplateContent=content)
    ).TemplateID
    list_id = bob.CreateReceiver(request(models.CreateReceiverRequest, ReceiversName="bob's readers")).ReceiverId

    change = request(
        models.UpdateEmailTemplateRequest,
        TemplateID=template_id,
        TemplateName="alice's",
        TemplateContent=template_content("Bought"),
    )
    refused = expect_code("UnauthorizedOperation", lambda: alice.UpdateEmailTemplate(change))
    assert f"template {template_id}" in refused.get_message()
    delete = request(models.DeleteEmailTemplateRequest, TemplateID=template_id)
    expect_code("UnauthorizedOperation", lambda: alice.DeleteEmailTemplate(delete))
    upload = request(models.CreateReceiverDetailRequest, ReceiverId=list_id, Emails=["intruder@example.net"])
    expect_code("UnauthorizedOperation", lambda: alice.CreateReceiverDetail(upload))

    got = alice.GetEmailTemplate(request(models.GetEmailTemplateRequest, TemplateID=template_id))
    assert got.TemplateContent.Text is not None  # reading and using stay open
    bob.CreateReceiverDetail(upload)
    ses(service, "admin").UpdateEmailTemplate(change)


def test_a_sender_a_task_sends_from_is_not_deleted(service: LiveService) -> None:
    admin = ses(service, "admin")
    admin.CreateEmailIdentity(request(models.CreateEmailIdentityRequest, EmailIdentity="mail.example.com"))
    admin.CreateEmailAddress(request(models.CreateEmailAddressRequest, EmailAddress="news@mail.example.com"))
    template_id = admin.CreateEmailTemplate(
        request(models.CreateEmailTemplateRequest, TemplateName="news", TemplateContent=template_content("News"))
    ).TemplateID
    list_id = admin.CreateReceiver(request(models.CreateReceiverRequest, ReceiversName="news")).ReceiverId
    admin.CreateReceiverDetail(request(models.CreateReceiverDetailRequest, ReceiverId=list_id, Emails=["a@b.org"]))
    begin = (datetime.now(SHANGHAI) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    task_id = admin.BatchSendEmail(
        request(
            models.BatchSendEmailRequest,
            FromEmailAddress="News <news@mail.example.com>",
            ReceiverId=list_id,
            Subject="Daily",
            TaskType=3,
            Template=request(models.Template, TemplateID=template_id, TemplateData=json.dumps({})),
            CycleParam=request(models.CycleEmailParam, BeginTime=begin, IntervalTime=24),
        )
    ).TaskId

    delete_sender = request(models.DeleteEmailAddressRequest, EmailAddress="news@mail.example.com")
    refused = expect_code("ResourceInUse", lambda: admin.DeleteEmailAddress(delete_sender))
    assert str(task_id) in refused.get_message() and "news@mail.example.com" in refused.get_message()
    delete_domain = request(models.DeleteEmailIdentityRequest, EmailIdentity="mail.example.com")
    refused = expect_code("OperationDenied.NotAllowDelete", lambda: admin.DeleteEmailIdentity(delete_domain))
    assert str(task_id) in refused.get_message()
    listed = admin.ListEmailAddress(models.ListEmailAddressRequest())
    assert [sender.EmailAddress for sender in listed.EmailSenders] == ["news@mail.example.com"]
