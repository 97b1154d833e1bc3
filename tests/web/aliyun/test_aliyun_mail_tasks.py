"""Quick BI mail-task actions through the official SDK against a real `mailyard serve` process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from alibabacloud_quickbi_public20220101 import models as quickbi
from alibabacloud_quickbi_public20220101.client import Client
from alibabacloud_tea_openapi import utils_models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException
from tests.web.conftest import LiveService


@dataclass
class Account:
    """Tasks made for the tests, by who owns them."""

    alice_own: int
    alice_shared: int
    bob_paused: int


def later() -> str:
    return (datetime.now(UTC) + timedelta(days=30)).isoformat()


def make_task(service: LiveService, user: str, name: str) -> int:
    body = {
        "name": name,
        "from_address": "News <news@example.com>",
        "subject": f"{name} for {{{{name}}}}",
        "template_id": 1,
        "recipient_list_id": 1,
        "schedule": {"type": "scheduled", "begin_at": later()},
    }
    return int(service.call(user, "POST", "/tasks", body)["id"])


@pytest.fixture(scope="module")
def account(api_only_service: LiveService) -> Account:
    service = api_only_service
    service.create_key("acme", "admin", "admin")
    service.create_key("acme", "alice", "member")
    service.create_key("acme", "bob", "member")
    service.create_key("globex", "eve", "admin")
    service.call("admin", "POST", "/domains", {"domain": "example.com"})
    service.call("admin", "POST", "/senders", {"address": "news@example.com", "display_name": "News"})
    service.call("admin", "POST", "/templates", {"name": "t", "text": "Hi {{name}}"})
    service.call("admin", "POST", "/lists", {"name": "friends"})
    recipients = [
        {"address": "ada@example.org", "variables": {"name": "Ada"}},
        {"address": "alan@example.org"},
    ]
    service.call("admin", "POST", "/lists/1/recipients", {"recipients": recipients})
    created = Account(
        alice_own=make_task(service, "alice", "Alice weekly"),
        alice_shared=make_task(service, "alice", "Alice shared"),
        bob_paused=make_task(service, "bob", "Bob paused"),
    )
    service.call("alice", "POST", f"/tasks/{created.alice_shared}/grants", {"nickname": "bob"})
    service.call("bob", "POST", f"/tasks/{created.bob_paused}/pause")
    return created


def client_for(service: LiveService, user: str, signature: str | None = None) -> Client:
    secret_id, secret_key = service.keys[user]
    config = open_api_models.Config(
        access_key_id=secret_id,
        access_key_secret=secret_key,
        endpoint=service.endpoint,
        protocol="http",
        signature_algorithm=signature,
    )
    return Client(config)


@pytest.fixture(params=[None, "v2"], ids=["acs3", "v2"])
def signature(request: pytest.FixtureRequest) -> Iterator[str | None]:
    yield request.param


def task_list(service: LiveService, user: str, signature: str | None = None, **fields: object):  # type: ignore[no-untyped-def]
    request = quickbi.GetMailTaskListRequest(**fields)
    return client_for(service, user, signature).get_mail_task_list(request).body


def mail_ids(body) -> set[str]:  # type: ignore[no-untyped-def]
    return {item.mail_id for item in body.result.data}


def test_admin_sees_the_whole_account(api_only_service: LiveService, account: Account, signature: str | None) -> None:
    body = task_list(api_only_service, "admin", signature)
    assert body.success is True
    assert body.result.total_num == 3
    assert mail_ids(body) == {str(account.alice_own), str(account.alice_shared), str(account.bob_paused)}
    by_id = {item.mail_id: item for item in body.result.data}
    paused = by_id[str(account.bob_paused)]
    assert (paused.paused, paused.biz_owner_name, paused.subscribe_name) == (True, "bob", "Bob paused")
    assert by_id[str(account.alice_own)].biz_owner_user_id.isdigit()


def test_members_see_their_own_and_shared_tasks(api_only_service: LiveService, account: Account) -> None:
    assert mail_ids(task_list(api_only_service, "alice")) == {
        str(account.alice_own),
        str(account.alice_shared),
    }
    assert mail_ids(task_list(api_only_service, "bob")) == {
        str(account.bob_paused),
        str(account.alice_shared),
    }


def test_filtering_by_another_nickname_shows_only_what_the_caller_may_see(
    api_only_service: LiveService, account: Account, signature: str | None
) -> None:
    body = task_list(api_only_service, "bob", signature, user_nick="alice")
    assert mail_ids(body) == {str(account.alice_shared)}
    assert task_list(api_only_service, "admin", user_nick="nobody here").result.total_num == 0


def test_paused_filter(api_only_service: LiveService, account: Account, signature: str | None) -> None:
    assert mail_ids(task_list(api_only_service, "admin", signature, paused=True)) == {str(account.bob_paused)}
    assert str(account.bob_paused) not in mail_ids(task_list(api_only_service, "admin", signature, paused=False))


def test_paging_edges(api_only_service: LiveService, account: Account) -> None:
    first = task_list(api_only_service, "admin", page_num=1, page_size=2).result
    assert (first.page_num, first.page_size, first.total_num, first.total_pages) == (1, 2, 3, 2)
    assert (first.pre, first.next, len(first.data)) == (0, 2, 2)
    last = task_list(api_only_service, "admin", page_num=2, page_size=2).result
    assert (last.pre, last.next, len(last.data)) == (1, 0, 1)
    beyond = task_list(api_only_service, "admin", page_num=5, page_size=2).result
    assert (beyond.pre, beyond.next, beyond.data) == (2, 0, [])
    default = task_list(api_only_service, "admin").result
    assert (default.page_num, default.page_size) == (1, 25)


def test_another_account_sees_nothing(api_only_service: LiveService, account: Account) -> None:
    empty = task_list(api_only_service, "eve").result
    assert (empty.total_num, empty.total_pages, empty.pre, empty.next, empty.data) == (0, 0, 0, 0, [])


def expect_error(code: str, call) -> ClientException:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientException) as caught:
        call()
    assert caught.value.code == code, caught.value
    assert caught.value.status_code == 400
    return caught.value


def test_status_and_manual_run(api_only_service: LiveService, account: Account, signature: str | None) -> None:
    alice = client_for(api_only_service, "alice", signature)
    task = str(account.alice_own)
    if signature is None:
        assert alice.get_mail_task_status(quickbi.GetMailTaskStatusRequest(mail_id=task)).body.result == []
        ran = alice.manual_run_mail_task(quickbi.ManualRunMailTaskRequest(mail_id=task)).body
        assert (ran.success, ran.result) == (True, True)
    status = alice.get_mail_task_status(quickbi.GetMailTaskStatusRequest(mail_id=task)).body.result
    assert len(status) == 1
    run = status[0]
    assert (run.mail_id, run.status) == (task, "PROCESSING")
    assert datetime.strptime(run.exec_time, "%Y-%m-%d %H:%M:%S")
    by_run = alice.get_mail_task_status(quickbi.GetMailTaskStatusRequest(mail_id=task, task_id=run.task_id))
    assert by_run.body.result[0].task_id == run.task_id
    expect_error(
        "MailTask.Already.Running",
        lambda: alice.manual_run_mail_task(quickbi.ManualRunMailTaskRequest(mail_id=task)),
    )


def test_members_run_only_what_they_see(api_only_service: LiveService, account: Account) -> None:
    bob = client_for(api_only_service, "bob")
    request = quickbi.ManualRunMailTaskRequest(mail_id=str(account.alice_own))
    expect_error("Mail.Forbidden.Access", lambda: bob.manual_run_mail_task(request))
    shared = bob.manual_run_mail_task(quickbi.ManualRunMailTaskRequest(mail_id=str(account.alice_shared)))
    assert shared.body.result is True
    unseen = quickbi.GetMailTaskStatusRequest(mail_id=str(account.alice_own))
    expect_error("Mail.Forbidden.Access", lambda: bob.get_mail_task_status(unseen))


def test_error_paths(api_only_service: LiveService, account: Account) -> None:
    admin = client_for(api_only_service, "admin")
    eve = client_for(api_only_service, "eve")
    expect_error("MailId.Is.Null", lambda: admin.manual_run_mail_task(quickbi.ManualRunMailTaskRequest()))
    expect_error("MailId.Is.Null", lambda: admin.get_mail_task_status(quickbi.GetMailTaskStatusRequest()))
    missing = quickbi.ManualRunMailTaskRequest(mail_id="987654321")
    expect_error("Mail.Not.Found", lambda: admin.manual_run_mail_task(missing))
    expect_error("Mail.Not.Found", lambda: admin.manual_run_mail_task(quickbi.ManualRunMailTaskRequest(mail_id="x")))
    other_account = quickbi.ManualRunMailTaskRequest(mail_id=str(account.alice_own))
    expect_error("Mail.Not.Found", lambda: eve.manual_run_mail_task(other_account))
    paused = quickbi.ManualRunMailTaskRequest(mail_id=str(account.bob_paused))
    expect_error("Timer.Schedule.Task", lambda: admin.manual_run_mail_task(paused))
    bad_run = quickbi.GetMailTaskStatusRequest(mail_id=str(account.alice_own), task_id=99999)
    expect_error("Mail.Not.Found", lambda: admin.get_mail_task_status(bad_run))
    expect_error("Invalid.Parameter.Error", lambda: task_list(api_only_service, "admin", page_size=101))
    expect_error("Invalid.Parameter.Error", lambda: task_list(api_only_service, "admin", page_num=0))


def test_pause_in_the_native_api_shows_up_at_once(api_only_service: LiveService, account: Account) -> None:
    api_only_service.call("alice", "POST", f"/tasks/{account.alice_own}/pause")
    assert str(account.alice_own) in mail_ids(task_list(api_only_service, "alice", paused=True))
    api_only_service.call("alice", "POST", f"/tasks/{account.alice_own}/resume")
    assert str(account.alice_own) in mail_ids(task_list(api_only_service, "alice", paused=False))
