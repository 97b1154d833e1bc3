"""Webhooks delivered per second by a `mailyard worker` to a local receiver, against that receiver's own rate
under wrk, in the same run.

Usage: python bench/webhook_rate.py [--messages 20000] [--clients 32] [--seconds 8]

The receiver (bench/webhook_sink.py) takes POSTs and counts them. wrk first measures its own rate with the
same body. Then Mailyard (SQLite) registers it as an endpoint, sends a small task to its outbox (so messages
have a delivery and a task to speak of), the messages are bulk-loaded into the queue as the task's events
would queue them, and one `mailyard worker` posts them all: its rate is messages / (last - first arrival).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness
import httpx

BODY_BYTES = 400
WRK_SCRIPT = 'wrk.method = "POST"\nwrk.body = string.rep("x", %d)\nwrk.headers["Content-Type"] = "application/json"\n'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=8)
    arguments = parser.parse_args()
    port = harness.free_port()
    sink = subprocess.Popen([sys.executable, str(Path(__file__).with_name("webhook_sink.py")), str(port)])
    try:
        harness.wait_for_port(port)
        own = _receiver_rate(port, arguments)
        ours = _mailyard_rate(port, arguments.messages)
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    print(f"receiver under wrk:        {own:9,.0f} requests/s")
    print(f"mailyard worker webhooks:  {ours:9,.0f} events/s")
    print(f"ratio: {ours / own:.2f}")


def _receiver_rate(port: int, arguments: argparse.Namespace) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % BODY_BYTES)
    command = ["wrk", "-t", "2", "-c", str(arguments.clients), "-d", f"{round(arguments.seconds)}s", "-s", script.name]
    output = subprocess.run([*command, f"http://127.0.0.1:{port}/"], capture_output=True, text=True, check=True).stdout
    Path(script.name).unlink()
    return float(next(line.split()[1] for line in output.splitlines() if line.startswith("Requests/sec:")))


def _mailyard_rate(port: int, messages: int) -> float:
    with harness.mailyard(None, None, {"MAILYARD_WEBHOOK_ALLOW_PRIVATE": "1"}) as instance:
        key = instance.key()
        api = harness.Api(instance.port, key)
        instance.start("serve", "serve", "--api-only")
        harness.wait_for_port(instance.port)
        template_id, _size = api.prepare(200)
        hook = api.post("/webhooks", url=f"http://127.0.0.1:{port}/hooks", events=["delivered"])
        task_id = api.task(template_id, api.recipient_list(1, 0, 1))
        _queue(instance.data_dir / "mailyard.db", int(str(hook["id"])), task_id, messages)
        httpx.delete(f"http://127.0.0.1:{port}/stats")
        instance.start("worker", "worker")
        deadline = time.monotonic() + 600
        while (stats := httpx.get(f"http://127.0.0.1:{port}/stats").json())["count"] < messages + 1:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {stats['count']} of {messages} webhooks arrived")
            time.sleep(0.2)
    return float(stats["count"] / (stats["last"] - stats["first"]))


def _queue(database: Path, endpoint_id: int, task_id: int, count: int) -> None:
    """Queue `count` messages for the task's one delivery, as its events would (one bulk INSERT)."""
    with sqlite3.connect(database) as connection:
        delivery_id, address = connection.execute(
            "SELECT id, address FROM deliveries WHERE task_id = ?", (task_id,)
        ).fetchone()
        now = time.strftime("%Y-%m-%d %H:%M:%S.000000")
        rows = [
            (endpoint_id, 1, "delivered", delivery_id, task_id, address, now, "pending", 0, now, now, now)
            for _ in range(count)
        ]
        connection.executemany(
            "INSERT INTO webhook_messages (endpoint_id, account_id, event_type, delivery_id, task_id, address,"
            " occurred_at, state, attempts, next_attempt_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    print(json.dumps({"queued": count}))


if __name__ == "__main__":
    main()
