"""deploy/ cannot rot: the Procfile runs under honcho (two API processes, two workers, one PostgreSQL) and
sends a task end to end; the systemd units pass `systemd-analyze verify` and their commands exist."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

pytestmark = [pytest.mark.acceptance, pytest.mark.timeout(180)]
DEPLOY = Path(__file__).parents[2] / "deploy"
UNITS = ("mailyard-api.service", "mailyard-worker@.service")
INSTALLED_COMMAND = "/opt/mailyard/bin/mailyard"


def _free_port_pair() -> int:
    """A port P with P+1, P+100 and P+101 free too: honcho numbers its processes from one base port."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + 101 > 65535:
            continue
        try:
            for offset in (1, 100, 101):
                with socket.socket() as other:
                    other.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError("no free run of ports")


def _wait_for(url: str, honcho: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert honcho.poll() is None, log.read_text()
        try:
            answer = httpx.get(url, timeout=2)
            if answer.status_code == 200:
                return answer
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never answered 200:\n{log.read_text()}")


@pytest.mark.parametrize("database_kind", ["postgres"])
def test_the_procfile_runs_api_processes_and_workers(database_url: str, tmp_path: Path) -> None:
    base = _free_port_pair()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILYARD_")}
    for proxy in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        env.pop(proxy, None)
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "MAILYARD_DATABASE_URL": database_url,
            "MAILYARD_DATA_DIR": str(tmp_path / "data"),
            "MAILYARD_MASTER_KEY": Fernet.generate_key().decode(),
            "MAILYARD_IDENTITY_VERIFICATION": "trust",
            "MAILYARD_POLL_SECONDS": "0.2",
        }
    )
    log = tmp_path / "honcho.log"
    honcho = [str(Path(sys.executable).parent / "honcho"), "-f", str(DEPLOY / "Procfile"), "-d", str(tmp_path)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*honcho, "start", "-p", str(base), "-c", "web=2,worker=2"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        for port in (base, base + 1):
            _wait_for(f"http://127.0.0.1:{port}/readyz", process, log)
        for port in (base + 100, base + 101):
            assert "mailyard_queue_open_deliveries" in _wait_for(f"http://127.0.0.1:{port}/metrics", process, log).text
        _send_one_task(env, (f"http://127.0.0.1:{base}/v1", f"http://127.0.0.1:{base + 1}/v1"), process, log)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(60)


def _send_one_task(env: dict[str, str], apis: tuple[str, str], honcho: subprocess.Popen[bytes], log: Path) -> None:
    """A task created through one API process is sent by the workers and seen done through the other."""
    issued = subprocess.run(
        [sys.executable, "-m", "mailyard", "keys", "create", "--account", "acme", "--user", "alice", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert issued.returncode == 0, issued.stderr
    key = json.loads(issued.stdout)
    auth = (key["SecretId"], key["SecretKey"])
    with httpx.Client(base_url=apis[0], auth=auth, timeout=30) as first:
        first.post("/domains", json={"domain": "news.example.com"}).raise_for_status()
        first.post("/senders", json={"address": "hello@news.example.com"}).raise_for_status()
        template = first.post("/templates", json={"name": "t", "subject": "Hi", "text": "Hello"}).json()
        listed = first.post("/lists", json={"name": "readers"}).json()
        recipients = {"recipients": [{"address": "ann@example.org"}]}
        first.post(f"/lists/{listed['id']}/recipients", json=recipients).raise_for_status()
        task = first.post(
            "/tasks",
            json={
                "from_address": "hello@news.example.com",
                "subject": "Hi",
                "template_id": template["id"],
                "recipient_list_id": listed["id"],
            },
        )
        assert task.status_code < 300, task.text
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=apis[1], auth=auth, timeout=30) as second:
        while time.monotonic() < deadline:
            assert honcho.poll() is None, log.read_text()
            if second.get(f"/tasks/{task.json()['id']}").json()["state"] == "done":
                return
            time.sleep(0.2)
    raise AssertionError(f"the task was not sent:\n{log.read_text()}")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_systemd_units_verify_and_their_commands_exist(tmp_path: Path) -> None:
    mailyard = str(Path(sys.executable).parent / "mailyard")
    for name in UNITS:
        text = (DEPLOY / name).read_text().replace(INSTALLED_COMMAND, mailyard)
        (tmp_path / name.replace("@.", "@9101.")).write_text(text)
        command = next(line for line in text.splitlines() if line.startswith("ExecStart="))
        shown = subprocess.run(
            [*shlex.split(command.removeprefix("ExecStart=")), "--help"], capture_output=True, text=True, timeout=60
        )
        assert shown.returncode == 0, shown.stderr
    units = [str(tmp_path / name.replace("@.", "@9101.")) for name in UNITS]
    verified = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60)
    assert (verified.returncode, verified.stderr) == (0, "")
