"""With MAILYARD_LOG_FORMAT=json, a real `mailyard serve` names the authenticated account in the request log
line of each door: the native API, the Tencent and Alibaba doors through their official SDKs, and the
dashboard; a request that fails authentication names none, and no line holds a secret, a signature or a
session."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alibabacloud_quickbi_public20220101 import models as quickbi
from alibabacloud_quickbi_public20220101.client import Client as QuickBiClient
from alibabacloud_tea_openapi import utils_models as open_api_models
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tests.web.conftest import LiveService, start_service, stop_service

pytestmark = [pytest.mark.timeout(120), pytest.mark.acceptance]
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    started = start_service(tmp_path_factory.mktemp("request-log"), {"MAILYARD_LOG_FORMAT": "json"}, "--api-only")
    yield started
    stop_service(started)


def _account_ids(service: LiveService) -> dict[str, int]:
    with sqlite3.connect(Path(service.env["MAILYARD_DATA_DIR"]) / "mailyard.db") as database:
        return dict(database.execute("SELECT name, id FROM accounts").fetchall())


def _access_lines(service: LiveService) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in service.log_path.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "uvicorn.access"]


def _line_of(service: LiveService, request: Callable[[], object]) -> dict[str, Any]:
    """The access log line of the one request `request` makes."""
    before = len(_access_lines(service))
    request()
    deadline = time.monotonic() + 10
    while len(lines := _access_lines(service)) <= before:
        assert time.monotonic() < deadline, "no access log line"
        time.sleep(0.05)
    assert len(lines) == before + 1, lines[before:]
    return lines[-1]


def _tencent(service: LiveService, key: tuple[str, str]) -> None:
    http = HttpProfile(protocol="http", endpoint=service.endpoint, reqTimeout=10)
    profile = ClientProfile(httpProfile=http)
    client = CommonClient("ses", "2020-10-02", credential.Credential(*key), "ap-guangzhou", profile)
    client.call_json("ListSendTasks", {"Offset": 0, "Limit": 10})


def _aliyun(service: LiveService, key: tuple[str, str]) -> None:
    config = open_api_models.Config(
        access_key_id=key[0], access_key_secret=key[1], endpoint=service.endpoint, protocol="http", read_timeout=10000
    )
    QuickBiClient(config).get_mail_task_list(quickbi.GetMailTaskListRequest(page_num=1, page_size=10))


def _set_password(service: LiveService, account: str, user: str) -> None:
    command = [sys.executable, "-m", "mailyard", "users", "passwd", "--account", account, "--user", user]
    done = subprocess.run(
        [*command, "--password-stdin"], env=service.env, input=PASSWORD + "\n", capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_each_door_logs_the_account_it_authenticated(service: LiveService) -> None:
    keys = {account: service.create_key(account, "alice") for account in ("native", "tencent", "aliyun", "dashboard")}
    _set_password(service, "dashboard", "alice")
    ids = _account_ids(service)

    with httpx.Client(base_url=f"{service.url}/v1", auth=keys["native"], timeout=10) as native:
        line = _line_of(service, lambda: native.get("/me").raise_for_status())
    assert '"GET /v1/me' in line["message"] and line["account"] == str(ids["native"])
    assert _line_of(service, lambda: _tencent(service, keys["tencent"]))["account"] == str(ids["tencent"])
    assert _line_of(service, lambda: _aliyun(service, keys["aliyun"]))["account"] == str(ids["aliyun"])

    with httpx.Client(base_url=service.url, timeout=10, follow_redirects=False) as browser:
        form = {"account": "dashboard", "user": "alice", "password": PASSWORD}
        signed_in = _line_of(service, lambda: browser.post("/sign-in", data=form))
        page = _line_of(service, lambda: browser.get("/templates").raise_for_status())
        session = browser.cookies["mailyard_session"]
    assert signed_in["account"] == page["account"] == str(ids["dashboard"])
    assert '"GET /templates' in page["message"]

    refused = _line_of(service, lambda: httpx.get(f"{service.url}/v1/me", auth=(keys["native"][0], "wrong")))
    assert '" 401' in refused["message"] and "account" not in refused

    log = service.log_path.read_text()
    for secret in (session, PASSWORD, *(key[1] for key in keys.values())):
        assert secret not in log
