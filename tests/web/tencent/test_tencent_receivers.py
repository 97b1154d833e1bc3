"""Recipient-list actions through the official SDK against a real `mailyard serve` process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from tencentcloud.ses.v20201002 import models
from tests.web.conftest import LiveService
from tests.web.tencent.tencent_live import expect_code, live_service, request, ses


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(tmp_path_factory.mktemp("serve"), None, "--api-only") as live:
        live.create_key("acme", "admin")
        live.create_key("globex", "eve")
        yield live


def new_list(service: LiveService, name: str, desc: str | None = None) -> int:
    made = ses(service, "admin").CreateReceiver(request(models.CreateReceiverRequest, ReceiversName=name, Desc=desc))
    return int(made.ReceiverId)


def data(email: str, **values: str) -> models.ReceiverInputData:
    return request(models.ReceiverInputData, Email=email, TemplateData=json.dumps(values))


def lists_by_id(service: LiveService, **filters: object) -> dict[int, models.ReceiverData]:
    listed = ses(service, "admin").ListReceivers(request(models.ListReceiversRequest, Offset=0, Limit=100, **filters))
    return {item.ReceiverId: item for item in listed.Data}


def test_upload_and_list(service: LiveService) -> None:
    client = ses(service, "admin")
    list_id = new_list(service, "friends", "people we like")
    empty = lists_by_id(service)[list_id]
    assert (empty.ReceiversName, empty.Desc, empty.Count, empty.ReceiversStatus) == ("friends", "people we like", 0, 1)
    assert datetime.strptime(empty.CreateTime, "%Y-%m-%d %H:%M:%S")

    emails = ["ada@example.org", "ada@example.org", "not-an-address", "alan@example.org"]
    uploaded = client.CreateReceiverDetail(
        request(models.CreateReceiverDetailRequest, ReceiverId=list_id, Emails=emails)
    )
    assert (uploaded.TotalCount, uploaded.ValidCount, uploaded.RepeatCount, uploaded.EmptyEmailCount) == (4, 3, 1, 0)
    with_data = client.CreateReceiverDetailWithData(
        request(
            models.CreateReceiverDetailWithDataRequest,
            ReceiverId=list_id,
            Datas=[data("grace@example.org", name="Grace")],
        )
    )
    assert (with_data.TotalCount, with_data.ValidCount) == (1, 1)

    listed = lists_by_id(service)[list_id]
    assert (listed.Count, listed.InvalidCount, listed.ReceiversStatus) == (5, 1, 3)
    assert list_id in lists_by_id(service, Status=3) and list_id not in lists_by_id(service, Status=1)
    assert set(lists_by_id(service, KeyWord="riend")) == {list_id}
    assert lists_by_id(service, Status=2) == {}

    details = client.ListReceiverDetails(
        request(models.ListReceiverDetailsRequest, ReceiverId=list_id, Offset=0, Limit=10)
    )
    assert (details.TotalCount, details.ValidCount, details.InvalidCount) == (5, 4, 1)
    by_email = {item.Email: item for item in details.Data}
    assert json.loads(by_email["grace@example.org"].TemplateData) == {"name": "Grace"}
    assert (by_email["not-an-address"].Status, bool(by_email["not-an-address"].Reason)) == (2, True)
    assert by_email["alan@example.org"].Status == 1 and by_email["alan@example.org"].TemplateData == ""

    get_client = ses(service, "admin", "GET")
    invalid = get_client.ListReceiverDetails(
        request(models.ListReceiverDetailsRequest, ReceiverId=list_id, Offset=0, Limit=10, Status=2)
    )
    assert [item.Email for item in invalid.Data] == ["not-an-address"]
    fuzzy = get_client.ListReceiverDetails(
        request(models.ListReceiverDetailsRequest, ReceiverId=list_id, Offset=1, Limit=1, Email="ada@")
    )
    assert (fuzzy.TotalCount, len(fuzzy.Data)) == (2, 1)
    today = datetime.now().strftime("%Y-%m-%d")
    tomorrow = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%d")
    ranged = get_client.ListReceiverDetails(
        request(models.ListReceiverDetailsRequest, ReceiverId=list_id, Offset=0, Limit=10, CreateTimeBegin=tomorrow)
    )
    assert ranged.TotalCount == 0
    near = (datetime.now() - timedelta(days=2)).strftime("%Y-%m-%d")
    ranged = get_client.ListReceiverDetails(
        request(
            models.ListReceiverDetailsRequest,
            ReceiverId=list_id,
            Offset=0,
            Limit=10,
            CreateTimeBegin=near,
            CreateTimeEnd=tomorrow,
        )
    )
    assert ranged.TotalCount == 5 and today

    client.DeleteReceiver(request(models.DeleteReceiverRequest, ReceiverId=list_id))
    assert list_id not in lists_by_id(service)


def test_errors_change_nothing(service: LiveService) -> None:
    client = ses(service, "admin")
    list_id = new_list(service, "careful")
    client.CreateReceiverDetail(
        request(models.CreateReceiverDetailRequest, ReceiverId=list_id, Emails=["a@example.org"])
    )

    def count() -> int:
        return int(lists_by_id(service)[list_id].Count)

    def upload(code: str, **fields: object) -> None:
        made = request(models.CreateReceiverDetailWithDataRequest, ReceiverId=list_id, **fields)
        expect_code(code, lambda: client.CreateReceiverDetailWithData(made))

    upload("MissingParameter.EmailsNecessary")
    upload("MissingParameter.EmailsNecessary", Datas=[])
    upload(
        "InvalidParameterValue.TemplateDataError",
        Datas=[data("b@example.org"), request(models.ReceiverInputData, Email="c@example.org", TemplateData="{oops")],
    )
    upload("InvalidParameterValue.TemplateDataLenLimit", Datas=[data("b@example.org", name="x" * 800)])
    upload("InvalidParameterValue.InValidTemplateData", Datas=[data("b@example.org", name="<b>bold</b>")])
    too_many = ["x@example.org"] * 20_001
    expect_code(
        "LimitExceeded.ReceiverDetailRequestLimit",
        lambda: client.CreateReceiverDetail(
            request(models.CreateReceiverDetailRequest, ReceiverId=list_id, Emails=too_many)
        ),
    )
    for _ in range(2):
        client.CreateReceiverDetail(
            request(models.CreateReceiverDetailRequest, ReceiverId=list_id, Emails=["y@example.org"] * 20_000)
        )
    over = request(models.CreateReceiverDetailRequest, ReceiverId=list_id, Emails=["z@example.org"] * 10_000)
    expect_code("LimitExceeded.ReceiverDetailCountLimit", lambda: client.CreateReceiverDetail(over))
    assert count() == 40_001

    missing_list = request(models.CreateReceiverDetailRequest, ReceiverId=999_999, Emails=["a@example.org"])
    expect_code("OperationDenied.ReceiverNotExist", lambda: client.CreateReceiverDetail(missing_list))
    expect_code(
        "MissingParameter.ReceiverIdNecessary",
        lambda: client.CreateReceiverDetail(request(models.CreateReceiverDetailRequest, Emails=["a@example.org"])),
    )
    expect_code("InvalidParameterValue.RepeatReceiverName", lambda: new_list(service, "careful"))
    expect_code("InvalidParameterValue.ReceiverNameIllegal", lambda: new_list(service, " "))
    expect_code("InvalidParameterValue.ReceiverDescIllegal", lambda: new_list(service, "long desc", "d" * 301))
    expect_code(
        "FailedOperation.InvalidLimit",
        lambda: client.ListReceivers(request(models.ListReceiversRequest, Offset=0, Limit=101)),
    )
    expect_code("MissingParameter", lambda: client.ListReceivers(request(models.ListReceiversRequest, Limit=10)))
    expect_code(
        "InvalidParameterValue",
        lambda: client.ListReceivers(request(models.ListReceiversRequest, Offset=0, Limit=1, Status=4)),
    )
    bad_time = request(
        models.ListReceiverDetailsRequest, ReceiverId=list_id, Offset=0, Limit=1, CreateTimeBegin="yesterday"
    )
    expect_code("InvalidParameter.InvalidStartTimeFormat", lambda: client.ListReceiverDetails(bad_time))
    bad_time = request(
        models.ListReceiverDetailsRequest, ReceiverId=list_id, Offset=0, Limit=1, CreateTimeEnd="2024/01/01"
    )
    expect_code("InvalidParameter.InvalidEndTimeFormat", lambda: client.ListReceiverDetails(bad_time))
    names = {item.ReceiversName for item in lists_by_id(service).values()}
    assert "long desc" not in names and count() == 40_001

    eve = ses(service, "eve")
    expect_code(
        "OperationDenied.ReceiverNotExist",
        lambda: eve.DeleteReceiver(request(models.DeleteReceiverRequest, ReceiverId=list_id)),
    )
    assert eve.ListReceivers(request(models.ListReceiversRequest, Offset=0, Limit=10)).TotalCount == 0
    assert count() == 40_001
