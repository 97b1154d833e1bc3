"""The official Tencent Cloud Node.js SDK against a real `mailyard serve`.

It signs TC3 with the endpoint's first label as the credential-scope service (`127`, `localhost`) and the
canonical host without its port, while the Host header it sends carries the port.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import LiveService

SCRIPT = Path(__file__).with_name("tencent_node_client.js")
pytestmark = pytest.mark.timeout(120)


def run_node(
    node_modules: Path, endpoint: str, secret_id: str, secret_key: str, method: str, domain: str = "node.example.com"
) -> list[dict[str, Any]]:
    env = {**os.environ, "NODE_PATH": str(node_modules)}
    for proxy in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        env.pop(proxy, None)
    done = subprocess.run(
        ["node", str(SCRIPT), endpoint, secret_id, secret_key, method, domain],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_every_call_is_accepted(service: LiveService, tencent_node_sdk: Path, host: str, method: str) -> None:
    secret_id, secret_key = service.keys["admin"]
    domain = f"{method.lower()}.{host.replace('.', '-')}.example.com"
    results = run_node(tencent_node_sdk, f"{host}:{service.port}", secret_id, secret_key, method, domain)
    by_action = {result["action"]: result for result in results}
    assert all(result["ok"] for result in results), results
    identities = [item["IdentityName"] for item in by_action["ListEmailIdentities"]["answer"]["EmailIdentities"]]
    assert domain in identities
    assert by_action["ListSendTasks"]["answer"]["TotalCount"] == 0
    assert by_action["GetStatisticsReport"]["answer"]["OverallVolume"]["RequestCount"] == 0


def test_a_wrong_secret_is_still_refused(service: LiveService, tencent_node_sdk: Path) -> None:
    secret_id, _ = service.keys["admin"]
    results = run_node(tencent_node_sdk, f"127.0.0.1:{service.port}", secret_id, "not-the-secret", "POST")
    assert {result["code"] for result in results} == {"AuthFailure.SignatureFailure"}
