"""`mailyard inbound` runs the listener alone in its own process: it refuses strangers, keeps what it cannot
attribute (listed by `mailyard inbound --kept`) and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import smtplib
import subprocess
import sys
import time
from typing import Any

import pytest
from tests.web.conftest import free_port

from mailyard import bootstrap

pytestmark = pytest.mark.timeout(90)


def environment(runtime: bootstrap.Runtime, port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILYARD_")}
    return env | {
        "MAILYARD_DATA_DIR": str(runtime.settings.data_dir),
        "MAILYARD_DATABASE_URL": runtime.settings.resolved_database_url,
        "MAILYARD_INBOUND_SMTP": f"127.0.0.1:{port}",
    }


def connect(port: int, process: subprocess.Popen[bytes]) -> smtplib.SMTP:
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, process.communicate()
        try:
            return smtplib.SMTP("127.0.0.1", port, timeout=10)
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.1)


async def test_the_listener_alone(runtime: bootstrap.Runtime, team: Any) -> None:
    await runtime.services.identities.create_domain(team.admin.principal, "news.example.com")
    await asyncio.to_thread(drive, environment(runtime, free_port()))


def drive(env: dict[str, str]) -> None:
    port = int(env["MAILYARD_INBOUND_SMTP"].rpartition(":")[2])
    command = [sys.executable, "-m", "mailyard", "inbound"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        with connect(port, process) as smtp:
            smtp.ehlo()
            smtp.mail("")
            assert smtp.rcpt("someone@example.com")[0] == 550
            assert smtp.rcpt("complaints@bounce.news.example.com")[0] == 250
            assert smtp.data(b"Subject: no idea\r\n\r\nwhat is this")[0] == 250
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    listed = subprocess.run([*command, "--kept"], env=env, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert "1 message(s) kept unattributed" in listed.stdout
    assert "complaints@bounce.news.example.com" in listed.stdout

    garbled = env | {"MAILYARD_INBOUND_SMTP": "nonsense"}
    refused = subprocess.run(command, env=garbled, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "HOST:PORT" in refused.stderr
