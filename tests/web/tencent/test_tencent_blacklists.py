"""Blacklist and address-level unsubscribe actions through the official SDK against a real `mailyard serve`,
sending through a real SMTP relay (aiosmtpd) that hard-bounces one address."""

from __future__ import annotations

import email
import email.policy
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiosmtpd.controller import Controller
from tencentcloud.ses.v20201002 import models
from tests.web.conftest import LiveService, free_port
from tests.web.tencent.tencent_live import expect_code, live_service, request, ses, template_content

pytestmark = pytest.mark.timeout(90)
SENDER = "hello@news.example.com"
BOUNCING = "gone@example.org"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Relay:
    """Accepts everything except BOUNCING, which gets a 5.1.1 hard bounce; records what arrives."""

    received: list[tuple[str, bytes]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address == BOUNCING:
            return "550 5.1.1 The email account that you tried to reach does not exist"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.changed:
            self.received.extend((rcpt, envelope.content) for rcpt in envelope.rcpt_tos)
            self.changed.notify_all()
        return "250 2.0.0 OK"

    def wait_for(self, count: int) -> list[tuple[str, bytes]]:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.received) >= count, 30), self.received
            return list(self.received)


@pytest.fixture(scope="module")
def relay() -> Iterator[tuple[Relay, int]]:
    handler, port = Relay(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, relay: tuple[Relay, int]) -> Iterator[LiveService]:
    relays = {"MAILYARD_RELAYS": f"smtp://127.0.0.1:{relay[1]}?connections=1&timeout=10"}
    with live_service(tmp_path_factory.mktemp("serve"), relays) as live:
        live.create_key("acme", "admin")
        live.create_key("globex", "eve")
        client = ses(live, "admin")
        client.CreateEmailIdentity(request(models.CreateEmailIdentityRequest, EmailIdentity="news.example.com"))
        client.CreateEmailAddress(request(models.CreateEmailAddressRequest, EmailAddress=SENDER))
        yield live


def today() -> str:
    return datetime.now(SHANGHAI).date().isoformat()


def test_custom_blacklist_round_trip(service: LiveService) -> None:
    client = ses(service, "admin")
    expires = (datetime.now(SHANGHAI).date() + timedelta(days=30)).isoformat()
    made = client.CreateCustomBlacklist(
        request(
            models.CreateCustomBlacklistRequest,
            Emails=["a@example.org", "A@example.org", "broken", "b@example.org"],
            ExpireDate=expires,
        )
    )
    assert (made.TotalCount, made.ValidCount, made.RepeatCount, made.InvalidCount) == (4, 3, 1, 1)

    listed = client.ListCustomBlacklist(request(models.ListCustomBlacklistRequest, Offset=0, Limit=10, Status=1))
    entries = {item.Email: item for item in listed.Data}
    assert listed.TotalCount == 2 and set(entries) == {"a@example.org", "b@example.org"}
    first = entries["a@example.org"]
    assert (first.ExpireDate, first.Status) == (expires, 1) and first.CreateTime.startswith(today())
    assert isinstance(first.Id, int)

    get_client = ses(service, "admin", method="GET")
    get_client.UpdateCustomBlackList(
        request(models.UpdateCustomBlackListRequest, Id=first.Id, Email="c@example.org", ExpireDate="")
    )
    listed = get_client.ListCustomBlacklist(
        request(models.ListCustomBlacklistRequest, Offset=0, Limit=10, Status=2, Email="c@")
    )
    assert [(item.Email, item.ExpireDate, item.Status) for item in listed.Data] == [("c@example.org", "", 1)]
    expired = client.ListCustomBlacklist(request(models.ListCustomBlacklistRequest, Offset=0, Limit=10, Status=0))
    assert expired.TotalCount == 0

    other = ses(service, "eve").ListCustomBlacklist(
        request(models.ListCustomBlacklistRequest, Offset=0, Limit=10, Status=2)
    )
    assert other.TotalCount == 0
    client.DeleteCustomBlackList(
        request(models.DeleteCustomBlackListRequest, Emails=["c@example.org", "b@example.org"])
    )
    left = client.ListCustomBlacklist(request(models.ListCustomBlacklistRequest, Offset=0, Limit=10, Status=2))
    assert left.TotalCount == 0


def test_blacklist_errors(service: LiveService) -> None:
    client = ses(service, "admin")
    expect_code(
        "FailedOperation.InvalidLimit",
        lambda: client.ListCustomBlacklist(request(models.ListCustomBlacklistRequest, Offset=0, Limit=101, Status=2)),
    )
    expect_code(
        "FailedOperation.InvalidLimit",
        lambda: client.ListBlackEmailAddress(
            request(models.ListBlackEmailAddressRequest, StartDate=today(), EndDate=today(), Offset=0, Limit=500)
        ),
    )
    expect_code(
        "MissingParameter",
        lambda: client.ListCustomBlacklist(request(models.ListCustomBlacklistRequest, Offset=0, Limit=10)),
    )
    expect_code(
        "InvalidParameterValue",
        lambda: client.ListCustomBlacklist(request(models.ListCustomBlacklistRequest, Offset=0, Limit=10, Status=3)),
    )
    expect_code(
        "MissingParameter.EmailsNecessary",
        lambda: client.CreateCustomBlacklist(request(models.CreateCustomBlacklistRequest, Emails=[])),
    )
    expect_code(
        "InvalidParameterValue.WrongDate",
        lambda: client.CreateCustomBlacklist(
            request(models.CreateCustomBlacklistRequest, Emails=["x@example.org"], ExpireDate="June 19")
        ),
    )
    expect_code(
        "ResourceNotFound",
        lambda: client.UpdateCustomBlackList(
            request(models.UpdateCustomBlackListRequest, Id=999999, Email="x@example.org")
        ),
    )
    expect_code(
        "InvalidParameter.InvalidStartTimeFormat",
        lambda: client.ListBlackEmailAddress(
            request(models.ListBlackEmailAddressRequest, StartDate="2024/01/01", EndDate=today(), Offset=0, Limit=10)
        ),
    )
    expect_code(
        "InvalidParameterValue.WrongDate",
        lambda: client.ListBlackEmailAddress(
            request(
                models.ListBlackEmailAddressRequest, StartDate="2024-01-02", EndDate="2024-01-01", Offset=0, Limit=10
            )
        ),
    )
    expect_code(
        "MissingParameter.EmailsNecessary",
        lambda: client.DeleteBlackList(request(models.DeleteBlackListRequest)),
    )


def test_unsubscribe_config_round_trip(service: LiveService) -> None:
    client = ses(service, "admin")
    expect_code(
        "InvalidParameterValue.NoSuchSender",
        lambda: client.CreateAddressUnsubscribeConfig(
            request(
                models.CreateAddressUnsubscribeConfigRequest,
                Address="nobody@news.example.com",
                UnsubscribeConfig="1",
                Status=1,
            )
        ),
    )
    expect_code(
        "InvalidParameterValue",
        lambda: client.CreateAddressUnsubscribeConfig(
            request(models.CreateAddressUnsubscribeConfigRequest, Address=SENDER, UnsubscribeConfig="99", Status=1)
        ),
    )
    client.CreateAddressUnsubscribeConfig(
        request(models.CreateAddressUnsubscribeConfigRequest, Address=SENDER, UnsubscribeConfig="0", Status=0)
    )
    expect_code(
        "ResourceInUse",
        lambda: client.CreateAddressUnsubscribeConfig(
            request(models.CreateAddressUnsubscribeConfigRequest, Address=SENDER, UnsubscribeConfig="1", Status=1)
        ),
    )
    for method in ("POST", "GET"):
        listed = ses(service, "admin", method).ListAddressUnsubscribeConfig(
            request(models.ListAddressUnsubscribeConfigRequest, Offset=0, Limit="10")
        )
        assert listed.Total == 1
        assert [
            (item.Address, item.UnsubscribeConfig, item.Status) for item in listed.AddressUnsubscribeConfigList
        ] == [(SENDER, "0", 0)]
    expect_code(
        "FailedOperation.InvalidLimit",
        lambda: client.ListAddressUnsubscribeConfig(
            request(models.ListAddressUnsubscribeConfigRequest, Offset=0, Limit="101")
        ),
    )
    assert (
        ses(service, "eve").ListAddressUnsubscribeConfig(request(models.ListAddressUnsubscribeConfigRequest)).Total == 0
    )
    client.DeleteAddressUnsubscribeConfig(request(models.DeleteAddressUnsubscribeConfigRequest, Address=SENDER))
    expect_code(
        "ResourceNotFound",
        lambda: client.UpdateAddressUnsubscribeConfig(
            request(models.UpdateAddressUnsubscribeConfigRequest, Address=SENDER, UnsubscribeConfig="2", Status=1)
        ),
    )
    expect_code(
        "MissingParameter",
        lambda: client.DeleteAddressUnsubscribeConfig(request(models.DeleteAddressUnsubscribeConfigRequest)),
    )


def send_batch(service: LiveService, receiver_id: int, template_id: int) -> None:
    template = request(models.Template, TemplateID=template_id, TemplateData="{}")
    ses(service, "admin").BatchSendEmail(
        request(
            models.BatchSendEmailRequest,
            FromEmailAddress=SENDER,
            ReceiverId=receiver_id,
            Subject="News",
            TaskType=1,
            Template=template,
        )
    )


def wait_for_blacklist(service: LiveService, count: int) -> models.ListBlackEmailAddressResponse:
    """The worker records outcomes in its own process; poll the API (bounded) until they show."""
    client, deadline = ses(service, "admin"), time.monotonic() + 30
    while True:
        listed = client.ListBlackEmailAddress(
            request(models.ListBlackEmailAddressRequest, StartDate=today(), EndDate=today(), Offset=0, Limit=10)
        )
        if listed.TotalCount >= count or time.monotonic() > deadline:
            return listed
        time.sleep(0.1)


def test_hard_bounce_and_unsubscribe_link_end_to_end(service: LiveService, relay: tuple[Relay, int]) -> None:
    handler = relay[0]
    client = ses(service, "admin")
    client.CreateAddressUnsubscribeConfig(
        request(models.CreateAddressUnsubscribeConfigRequest, Address=SENDER, UnsubscribeConfig="2", Status=1)
    )
    template_id = client.CreateEmailTemplate(
        request(models.CreateEmailTemplateRequest, TemplateName="news", TemplateContent=template_content("Hello"))
    ).TemplateID
    receiver_id = client.CreateReceiver(request(models.CreateReceiverRequest, ReceiversName="readers")).ReceiverId
    addresses = ["ann@example.org", "ben@example.org", BOUNCING]
    client.CreateReceiverDetail(request(models.CreateReceiverDetailRequest, ReceiverId=receiver_id, Emails=addresses))

    send_batch(service, receiver_id, template_id)
    received = handler.wait_for(2)
    listed = wait_for_blacklist(service, 1)
    assert [item.EmailAddress for item in listed.BlackList] == [BOUNCING]
    assert listed.BlackList[0].BounceTime.startswith(today())

    ben = next(content for rcpt, content in received if rcpt == "ben@example.org")
    header = str(email.message_from_bytes(ben, policy=email.policy.default)["List-Unsubscribe"])
    match = re.fullmatch(r"<https?://[^/]+(/unsubscribe/[A-Za-z0-9_.-]+(?:\?lang=[0-9]+)?)>", header)
    assert match is not None, header
    assert httpx.post(service.url + match.group(1), content=b"List-Unsubscribe=One-Click").status_code == 200

    send_batch(service, receiver_id, template_id)
    later = handler.wait_for(3)[2:]
    assert [rcpt for rcpt, _ in later] == ["ann@example.org"]  # ben unsubscribed, the bounce is blacklisted

    client.DeleteBlackList(request(models.DeleteBlackListRequest, EmailAddressList=[BOUNCING]))
    assert wait_for_blacklist(service, 0).TotalCount == 0
