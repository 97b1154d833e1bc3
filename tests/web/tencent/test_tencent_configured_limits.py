"""Tencent's recipient limits are settings: the Tencent door refuses past the configured ones, and its messages
quote them (here 2 addresses per upload and 3 per list), through the official SDK against a real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tencentcloud.ses.v20201002 import models
from tests.web.conftest import LiveService
from tests.web.tencent.tencent_live import expect_code, live_service, request, ses

LIMITS = {"MAILYARD_TENCENT_UPLOAD_MAX_RECIPIENTS": "2", "MAILYARD_TENCENT_LIST_MAX_RECIPIENTS": "3"}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(tmp_path_factory.mktemp("limits"), LIMITS, "--api-only") as live:
        live.create_key("acme", "admin")
        yield live


def test_uploads_and_lists_are_refused_past_the_configured_limits(service: LiveService) -> None:
    client = ses(service, "admin")
    made = client.CreateReceiver(request(models.CreateReceiverRequest, ReceiversName="small"))

    def upload(*emails: str) -> models.CreateReceiverDetailResponse:
        return client.CreateReceiverDetail(
            request(models.CreateReceiverDetailRequest, ReceiverId=made.ReceiverId, Emails=list(emails))
        )

    too_many = expect_code("LimitExceeded.ReceiverDetailRequestLimit", lambda: upload("a@x.org", "b@x.org", "c@x.org"))
    assert too_many.get_message() == "at most 2 recipients per upload"
    assert upload("a@x.org", "b@x.org").ValidCount == 2
    assert upload("c@x.org").ValidCount == 1
    full = expect_code("LimitExceeded.ReceiverDetailCountLimit", lambda: upload("d@x.org"))
    assert full.get_message() == "a list holds at most 3 recipients"


def test_the_custom_blacklist_takes_as_many_addresses_as_an_upload(service: LiveService) -> None:
    client = ses(service, "admin")

    def blacklist(*emails: str) -> models.CreateCustomBlacklistResponse:
        return client.CreateCustomBlacklist(request(models.CreateCustomBlacklistRequest, Emails=list(emails)))

    refused = expect_code(
        "LimitExceeded.ReceiverDetailRequestLimit", lambda: blacklist("a@x.org", "b@x.org", "c@x.org")
    )
    assert refused.get_message() == "at most 2 addresses per request"
    assert blacklist("a@x.org", "b@x.org").ValidCount == 2
