"""A real `mailyard worker` process serves /healthz, /readyz and /metrics on MAILYARD_WORKER_METRICS, writes
JSON log lines with MAILYARD_LOG_FORMAT=json, and stops on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.acceptance, pytest.mark.timeout(90)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get_when_up(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the worker exited"
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")


def test_worker_serves_probes_and_metrics_and_logs_json(tmp_path: Path) -> None:
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILYARD_")}
    env.update(
        {
            "MAILYARD_DATA_DIR": str(tmp_path / "data"),
            "MAILYARD_WORKER_METRICS": f"127.0.0.1:{port}",
            "MAILYARD_LOG_FORMAT": "json",
            "NO_PROXY": "127.0.0.1",
        }
    )
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "mailyard", "worker"], env=env, stderr=output)
    try:
        base = f"http://127.0.0.1:{port}"
        assert _get_when_up(f"{base}/healthz", process).json() == {"status": "ok"}
        ready = httpx.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        metrics = httpx.get(f"{base}/metrics", timeout=5)
        assert metrics.headers["content-type"].startswith("text/plain")
        assert "mailyard_queue_open_deliveries 0.0" in metrics.text
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert code == 0, "\n".join(lines)
    documents = [json.loads(line) for line in lines]  # every line is one JSON object
    assert any("worker" in document["message"] and "started" in document["message"] for document in documents)
    assert {"time", "level", "logger", "message"} <= set(documents[0])
