"""A real `mailyard serve` process for end-to-end tests through the official cloud SDKs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import without_redis

STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveService:
    """A running service with helpers to make keys and call the native API."""

    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log_path: Path
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "mailyard", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def create_key(self, account: str, user: str, role: str = "admin") -> tuple[str, str]:
        issued = json.loads(self.cli("keys", "create", "--account", account, "--user", user, "--role", role, "--json"))
        self.keys[user] = (issued["SecretId"], issued["SecretKey"])
        return self.keys[user]

    def native(self, user: str) -> httpx.Client:
        return httpx.Client(base_url=f"{self.url}/v1", auth=self.keys[user], timeout=30)

    def call(self, user: str, method: str, path: str, body: Any = None) -> Any:
        with self.native(user) as client:
            response = client.request(method, path, json=body)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None


def start_service(data_dir: Path, extra_env: dict[str, str] | None = None, *args: str) -> LiveService:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILYARD_")}
    for proxy in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        env.pop(proxy, None)
    env.update(
        {
            "MAILYARD_DATA_DIR": str(data_dir),
            "MAILYARD_IDENTITY_VERIFICATION": "trust",
            "MAILYARD_INBOUND_SMTP": "off",  # tests that want the listener give it a free port
            "NO_PROXY": f"127.0.0.1:{port},127.0.0.1",
        }
    )
    env.update(extra_env or {})
    log_path = data_dir / "serve.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "mailyard", "serve", "--port", str(port), *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    service = LiveService(port=port, env=env, process=process, log_path=log_path)
    _wait_until_healthy(service)
    return service


def _wait_until_healthy(service: LiveService) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"mailyard serve exited:\n{service.log_path.read_text()}")
        try:
            if httpx.get(f"{service.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"mailyard serve did not start:\n{service.log_path.read_text()}")


def stop_service(service: LiveService) -> None:
    service.process.terminate()
    try:
        service.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        service.process.kill()
        service.process.wait()


@pytest.fixture(scope="module")
def api_only_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """A server that does not send: runs stay in progress until something else picks them up."""
    service = start_service(tmp_path_factory.mktemp("serve"), None, "--api-only")
    yield service
    stop_service(service)


REDIS_URL = os.environ.get("MAILYARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """The test Redis; tests skip with a reason when none is reachable."""
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except (RedisError, OSError):
        without_redis(f"no Redis at {REDIS_URL}")
    finally:
        await client.aclose()
    yield REDIS_URL
