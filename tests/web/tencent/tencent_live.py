"""The official Tencent SES SDK pointed at a real `mailyard serve` process (spec 1.7.7)."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.ses.v20201002 import models, ses_client
from tests.web.conftest import LiveService, start_service, stop_service

T = TypeVar("T")
_PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


@contextmanager
def live_service(data_dir: Path, extra_env: dict[str, str] | None = None, *args: str) -> Iterator[LiveService]:
    """A server the SDK in this process reaches directly (no proxy), stopped afterwards."""
    saved = {name: os.environ.pop(name) for name in _PROXY_VARIABLES if name in os.environ}
    service = start_service(data_dir, extra_env, *args)
    saved_no_proxy = {name: os.environ.get(name) for name in ("NO_PROXY", "no_proxy")}
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = f"{service.endpoint},127.0.0.1"
    try:
        yield service
    finally:
        stop_service(service)
        os.environ.update(saved)
        for name, value in saved_no_proxy.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def ses(service: LiveService, user: str, method: str = "POST") -> ses_client.SesClient:
    secret_id, secret_key = service.keys[user]
    http = HttpProfile(protocol="http", endpoint=service.endpoint, reqMethod=method, reqTimeout=30)
    return ses_client.SesClient(
        credential.Credential(secret_id, secret_key), "ap-guangzhou", ClientProfile(httpProfile=http)
    )


def request(model: type[T], **fields: Any) -> T:
    """A request model with its fields set (the SDK models take no constructor arguments)."""
    made = model()
    for name, value in fields.items():
        assert hasattr(made, name), f"{model.__name__} has no field {name}"
        setattr(made, name, value)
    return made


def expect_code(code: str, call: Callable[[], object]) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as caught:
        call()
    assert caught.value.get_code() == code, caught.value
    assert caught.value.get_request_id()
    return caught.value


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def template_content(text: str | None = None, html: str | None = None) -> models.TemplateContent:
    content = models.TemplateContent()
    content.Text = b64(text) if text is not None else None
    content.Html = b64(html) if html is not None else None
    return content


def add_user(service: LiveService, admin: str, nickname: str, role: str = "member") -> None:
    """A user of the admin's account with a key, through the native API (no extra process)."""
    issued = service.call(admin, "POST", "/users", {"nickname": nickname, "role": role})
    service.keys[nickname] = (issued["SecretId"], issued["SecretKey"])
