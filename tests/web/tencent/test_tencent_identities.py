"""Sending domains and sender addresses through the official SDK against a real `mailyard serve` process."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from tencentcloud.ses.v20201002 import models
from tests.web.conftest import LiveService
from tests.web.tencent.tencent_live import add_user, expect_code, live_service, request, ses


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(tmp_path_factory.mktemp("serve"), None, "--api-only") as live:
        live.create_key("acme", "admin")
        add_user(live, "admin", "alice")
        yield live


def senders(service: LiveService) -> dict[str, models.EmailSender]:
    listed = ses(service, "admin").ListEmailAddress(models.ListEmailAddressRequest())
    return {sender.EmailAddress: sender for sender in listed.EmailSenders}


def test_domain_lifecycle(service: LiveService) -> None:
    client = ses(service, "admin")
    created = client.CreateEmailIdentity(request(models.CreateEmailIdentityRequest, EmailIdentity="Mail.Example.com"))
    assert (created.IdentityType, created.VerifiedForSendingStatus) == ("DOMAIN", True)
    kinds = {(attribute.Type, attribute.SendDomain): attribute for attribute in created.Attributes}
    assert {name for _, name in kinds} == {
        "mail.example.com",
        "mailyard._domainkey.mail.example.com",
        "_dmarc.mail.example.com",
        "bounce.mail.example.com",
    }
    assert all(attribute.Status is True for attribute in created.Attributes)
    assert kinds[("TXT", "bounce.mail.example.com")].ExpectedValue == "v=spf1 include:mail.example.com ~all"
    assert kinds[("MX", "bounce.mail.example.com")].ExpectedValue == "127.0.0.1"
    assert kinds[("TXT", "mailyard._domainkey.mail.example.com")].ExpectedValue.startswith("v=DKIM1")

    got = ses(service, "alice", "GET").GetEmailIdentity(
        request(models.GetEmailIdentityRequest, EmailIdentity="mail.example.com")
    )
    assert got.VerifiedForSendingStatus is True and len(got.Attributes) == 5
    updated = client.UpdateEmailIdentity(request(models.UpdateEmailIdentityRequest, EmailIdentity="mail.example.com"))
    assert updated.VerifiedForSendingStatus is True

    client.CreateEmailIdentity(request(models.CreateEmailIdentityRequest, EmailIdentity="other.example.net"))
    listed = client.ListEmailIdentities(models.ListEmailIdentitiesRequest())
    names = {item.IdentityName: item for item in listed.EmailIdentities}
    assert {"mail.example.com", "other.example.net"} <= set(names) and listed.Total == len(names)
    assert names["other.example.net"].SendingEnabled is True and listed.MaxDailyQuota > 0
    page = client.ListEmailIdentities(request(models.ListEmailIdentitiesRequest, Offset=1, Limit=1))
    assert len(page.EmailIdentities) == 1 and page.Total == listed.Total

    client.DeleteEmailIdentity(request(models.DeleteEmailIdentityRequest, EmailIdentity="other.example.net"))
    gone = request(models.GetEmailIdentityRequest, EmailIdentity="other.example.net")
    expect_code("InvalidParameterValue.NotExistDomain", lambda: client.GetEmailIdentity(gone))


def test_domain_errors_change_nothing(service: LiveService) -> None:
    client = ses(service, "admin")
    client.CreateEmailIdentity(request(models.CreateEmailIdentityRequest, EmailIdentity="errors.example.com"))
    before = client.ListEmailIdentities(models.ListEmailIdentitiesRequest()).Total
    again = request(models.CreateEmailIdentityRequest, EmailIdentity="errors.example.com")
    expect_code("InvalidParameterValue.RepeatCreation", lambda: client.CreateEmailIdentity(again))
    bad = request(models.CreateEmailIdentityRequest, EmailIdentity="not a domain")
    expect_code("InvalidParameterValue.InvalidEmailIdentity", lambda: client.CreateEmailIdentity(bad))
    expect_code("MissingParameter", lambda: client.CreateEmailIdentity(models.CreateEmailIdentityRequest()))
    dkim = request(models.CreateEmailIdentityRequest, EmailIdentity="dkim.example.com", DKIMOption=7)
    expect_code("InvalidParameterValue", lambda: client.CreateEmailIdentity(dkim))
    assert client.ListEmailIdentities(models.ListEmailIdentitiesRequest()).Total == before

    client.CreateEmailAddress(request(models.CreateEmailAddressRequest, EmailAddress="ops@errors.example.com"))
    busy = request(models.DeleteEmailIdentityRequest, EmailIdentity="errors.example.com")
    expect_code("OperationDenied.SenderWithDomainIsNotEmpty", lambda: client.DeleteEmailIdentity(busy))
    assert client.ListEmailIdentities(models.ListEmailIdentitiesRequest()).Total == before
    missing = request(models.UpdateEmailIdentityRequest, EmailIdentity="nowhere.example.com")
    expect_code("InvalidParameterValue.NotExistDomain", lambda: client.UpdateEmailIdentity(missing))


def test_sender_lifecycle(service: LiveService) -> None:
    client = ses(service, "admin")
    client.CreateEmailIdentity(request(models.CreateEmailIdentityRequest, EmailIdentity="senders.example.com"))
    client.CreateEmailAddress(
        request(models.CreateEmailAddressRequest, EmailAddress="news@senders.example.com", EmailSenderName="News")
    )
    client.CreateEmailAddress(request(models.CreateEmailAddressRequest, EmailAddress="Team <team@senders.example.com>"))
    found = senders(service)
    news, team = found["news@senders.example.com"], found["team@senders.example.com"]
    assert (news.EmailSenderName, news.SmtpPwdType, team.EmailSenderName) == ("News", 0, "Team")
    assert isinstance(news.CreatedTimestamp, int) and abs(news.CreatedTimestamp - time.time()) < 600

    password = request(
        models.UpdateEmailSmtpPassWordRequest, EmailAddress="news@senders.example.com", Password="Abcdef12345"
    )
    client.UpdateEmailSmtpPassWord(password)
    assert senders(service)["news@senders.example.com"].SmtpPwdType == 1

    client.DeleteEmailAddress(request(models.DeleteEmailAddressRequest, EmailAddress="team@senders.example.com"))
    assert "team@senders.example.com" not in senders(service)


def test_sender_errors_change_nothing(service: LiveService) -> None:
    client = ses(service, "admin")
    client.CreateEmailIdentity(request(models.CreateEmailIdentityRequest, EmailIdentity="limits.example.com"))
    client.CreateEmailAddress(request(models.CreateEmailAddressRequest, EmailAddress="a@limits.example.com"))
    before = senders(service)

    def create(code: str, address: str) -> None:
        made = request(models.CreateEmailAddressRequest, EmailAddress=address)
        expect_code(code, lambda: client.CreateEmailAddress(made))

    create("InvalidParameterValue.RepeatEmailAddress", "a@limits.example.com")
    create("InvalidParameterValue.NotExistDomain", "a@unknown.example.com")
    create("InvalidParameterValue.IllegalEmailAddress", "nobody")
    expect_code("MissingParameter", lambda: client.CreateEmailAddress(models.CreateEmailAddressRequest()))
    for index in range(10 - len(before)):
        client.CreateEmailAddress(
            request(models.CreateEmailAddressRequest, EmailAddress=f"n{index}@limits.example.com")
        )
    full = senders(service)
    create("OperationDenied.ExceedSenderLimit", "eleventh@limits.example.com")
    assert senders(service).keys() == full.keys()

    for weak in ("short1A2", "abcdefghijK1", "abcdefgh11A", "ABCDEFGH12", "abcdefgh12", "Abcdefgh12" * 3):
        change = request(models.UpdateEmailSmtpPassWordRequest, EmailAddress="a@limits.example.com", Password=weak)
        expect_code(
            "InvalidParameterValue.InvalidSmtpPassWord", lambda change=change: client.UpdateEmailSmtpPassWord(change)
        )
    assert senders(service)["a@limits.example.com"].SmtpPwdType == 0
    unknown = request(
        models.UpdateEmailSmtpPassWordRequest, EmailAddress="zz@limits.example.com", Password="Abcdef12345"
    )
    expect_code("InvalidParameterValue.NoSuchSender", lambda: client.UpdateEmailSmtpPassWord(unknown))
    delete = request(models.DeleteEmailAddressRequest, EmailAddress="zz@limits.example.com")
    expect_code("InvalidParameterValue.NoSuchSender", lambda: client.DeleteEmailAddress(delete))
    assert senders(service).keys() == full.keys()
