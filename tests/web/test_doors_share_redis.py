"""With MAILYARD_REDIS_URL, bootstrap builds one Redis client per process and the cloud doors use it: a Quick BI
nonce spent on one process is refused by another."""

from __future__ import annotations

import os
import uuid

import httpx
from tests.conftest import FixedClock, Team
from tests.web.aliyun.conftest import sign_v3

from mailyard import bootstrap
from mailyard.settings import Settings

REDIS_URL = os.environ.get("MAILYARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def test_a_nonce_spent_on_one_process_is_refused_by_another(
    settings: Settings, runtime: bootstrap.Runtime, team: Team, clock: FixedClock
) -> None:
    shared = settings.model_copy(update={"redis_url": REDIS_URL})
    first = await bootstrap.open_runtime(shared, clock=clock, upgrade_schema=False)
    second = await bootstrap.open_runtime(shared, clock=clock, upgrade_schema=False)
    assert first.redis is not None and second.redis is not None and first.redis is not second.redis
    secret_id, secret_key = team.admin.auth
    signed = sign_v3({}, at=clock.now().timestamp(), access_key_id=secret_id, secret=secret_key, nonce=uuid.uuid4().hex)
    try:
        answers = []
        for process in (first, second):
            transport = httpx.ASGITransport(app=bootstrap.create_web_app(process))
            async with httpx.AsyncClient(transport=transport, base_url="http://mailyard.test") as client:
                answers.append(await client.post(signed.target, headers=dict(signed.headers), content=signed.body))
    finally:
        await first.close()
        await second.close()
    assert answers[0].status_code == 200, answers[0].text
    assert answers[1].json()["Code"] == "SignatureNonceUsed"
