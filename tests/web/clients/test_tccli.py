"""Tencent Cloud's own command line, `tccli` (on the official Python SDK), against a real `mailyard serve`.

tccli has no option for plain HTTP: an endpoint given with its scheme (`--endpoint http://127.0.0.1:PORT`) is
used as it is, and the SDK then signs a canonical host that carries the scheme too, which the door accepts like
any other (the HMAC over the request still proves the secret).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import LiveService

pytestmark = pytest.mark.timeout(180)


def run_tccli(tccli: Path, service: LiveService, action: str, *params: str, secret_key: str | None = None) -> Any:
    """`tccli ses <action>` with the key of the service's admin; its JSON answer, or its error line."""
    secret_id, admin_key = service.keys["admin"]
    env = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    env["HOME"] = str(service.log_path.parent / "tccli-home")  # no ~/.tccli profile of the machine's user
    done = subprocess.run(
        [
            str(tccli),
            "ses",
            action,
            *params,
            "--secretId",
            secret_id,
            "--secretKey",
            secret_key or admin_key,
            "--region",
            "ap-guangzhou",
            "--endpoint",
            f"http://127.0.0.1:{service.port}",
            "--timeout",
            "30",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        return done.stdout + done.stderr
    return json.loads(done.stdout)


def test_templates_are_listed_and_created(service: LiveService, tccli: Path) -> None:
    assert run_tccli(tccli, service, "ListEmailTemplates", "--Limit", "10", "--Offset", "0")["TotalCount"] == 0
    content = json.dumps({"Text": "SGVsbG8ge3tuYW1lfX0h"})  # base64 of "Hello {{name}}!"
    created = run_tccli(
        tccli, service, "CreateEmailTemplate", "--TemplateName", "welcome", "--TemplateContent", content
    )
    assert isinstance(created, dict), created
    listed = run_tccli(tccli, service, "ListEmailTemplates", "--Limit", "10", "--Offset", "0")
    assert [item["TemplateName"] for item in listed["TemplatesMetadata"]] == ["welcome"]
    assert listed["TemplatesMetadata"][0]["TemplateID"] == created["TemplateID"]


def test_a_wrong_secret_is_refused(service: LiveService, tccli: Path) -> None:
    refused = run_tccli(tccli, service, "ListEmailTemplates", "--Limit", "1", "--Offset", "0", secret_key="wrong")
    assert "AuthFailure.SignatureFailure" in refused
