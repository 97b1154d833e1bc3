"""Both cloud doors check request times against the service's Clock port (the test's fixed clock here), not
against the wall clock."""

from __future__ import annotations

import json

from tests.conftest import FixedClock, Team
from tests.web.aliyun.conftest import sign_v3
from tests.web.tencent.tencent_captured import tc3_authorization


def tencent_request(team: Team, timestamp: int) -> tuple[bytes, dict[str, str]]:
    secret_id, secret_key = team.admin.auth
    body = b'{"Offset": 0, "Limit": 10}'
    headers = {
        "content-type": "application/json",
        "host": "mailyard.test",
        "x-tc-action": "ListSendTasks",
        "x-tc-version": "2020-10-02",
        "x-tc-timestamp": str(timestamp),
    }
    headers["authorization"] = tc3_authorization(
        method="POST",
        headers=headers,
        signed=("content-type", "host"),
        raw_query="",
        body=body,
        timestamp=timestamp,
        secret_id=secret_id,
        secret_key=secret_key,
    )
    return body, headers


async def test_the_tencent_door_reads_the_services_clock(api, team: Team, clock: FixedClock) -> None:
    now = int(clock.now().timestamp())
    body, headers = tencent_request(team, now)
    answered = (await api.post("/", content=body, headers=headers)).json()["Response"]
    assert "Error" not in answered and answered["TotalCount"] == 0
    body, headers = tencent_request(team, now + 3600)
    answered = (await api.post("/", content=body, headers=headers)).json()["Response"]
    assert answered["Error"]["Code"] == "AuthFailure.SignatureExpire"


async def test_the_aliyun_door_reads_the_services_clock(api, team: Team, clock: FixedClock) -> None:
    secret_id, secret_key = team.admin.auth
    signed = sign_v3({}, at=clock.now().timestamp(), access_key_id=secret_id, secret=secret_key)
    response = await api.post(signed.target, headers=dict(signed.headers), content=signed.body)
    assert response.status_code == 200, response.text
    assert json.loads(response.text)["Result"]["TotalNum"] == 0
    signed = sign_v3({}, at=clock.now().timestamp() + 3600, access_key_id=secret_id, secret=secret_key, nonce="1" * 32)
    response = await api.post(signed.target, headers=dict(signed.headers), content=signed.body)
    assert response.status_code == 400 and response.json()["Code"] != "InternalError"
