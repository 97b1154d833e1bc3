"""Open and click hits per second against a bare endpoint of the same server, in the same run, under wrk.

Usage: python bench/tracking_rate.py [--copies 2000] [--clients 32] [--seconds 8] [--database sqlite]

Starts `mailyard serve` with the outbox, sends one task whose HTML has a link to `--copies` recipients, reads
every copy's pixel and link URLs from the outbox, then drives wrk in turn at `/healthz` (the baseline: a no-op
endpoint of the same server), at the copies' pixels and at their links, and again at `/healthz`. Every answer is
checked in wrk's Lua script (200 with the GIF, 302 with a Location). It prints each rate, the ratios against the
baseline (the target is 0.5), and checks that the hits became events once the server was stopped cleanly.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass

import harness
import httpx

WRK_THREADS = 2
HTML = '<html><body><p>Hello {{name}}</p><p><a href="https://shop.example.com/sale?id=42">Sale</a></p></body></html>'
_SCRIPT = """
paths = {%s}
counter = 0
errors = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counter = math.random(1, #paths) end
function request()
  counter = counter %% #paths + 1
  return wrk.format("GET", paths[counter], {["User-Agent"] = "Mozilla/5.0 (bench) Safari/605.1.15"})
end
function response(status, headers, body)
  if status ~= %d then errors = errors + 1 end
end
function done(summary, latency, requests)
  local failed = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  for _, thread in ipairs(threads) do failed = failed + thread:get("errors") end
  io.write(string.format("RESULT %%d %%d %%.3f %%.3f %%d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, failed))
end
"""


@dataclass(frozen=True)
class Rate:
    name: str
    per_second: float
    p99_ms: float
    errors: int
    requests: int


def main() -> None:
    arguments = _arguments()
    if not _has("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk (make bench-tracking installs it)")
    with harness.database(arguments.database) as url, harness.mailyard(url, None, {}) as instance:
        key = instance.key()
        api = harness.Api(instance.port, key)
        instance.start("serve", "serve")
        harness.wait_for_port(instance.port)
        task_id = _send(api, arguments.copies, instance)
        pixels, links = _tracked_urls(instance.port, key, task_id)
        print(f"{len(pixels)} copies in the outbox, each with its pixel and link")
        base = f"http://127.0.0.1:{instance.port}"
        rates = [
            _run(base, "baseline /healthz", ["/healthz"], 200, arguments),
            _run(base, "open pixel", pixels, 200, arguments),
            _run(base, "click", links, 302, arguments),
            _run(base, "baseline /healthz", ["/healthz"], 200, arguments),
        ]
        instance.stop()  # a clean stop writes the hits still buffered
        recorded = _recorded(instance, key, task_id)
    baseline = (rates[0].per_second + rates[3].per_second) / 2
    for rate in rates:
        print(
            f"{rate.name:18} {rate.per_second:9,.0f} req/s  p99 {rate.p99_ms:6.1f} ms  "
            f"ratio {rate.per_second / baseline:.2f}  errors {rate.errors}"
        )
    hits = rates[1].requests + rates[2].requests
    print(f"hits answered: {hits:,}; recorded as events: opens {recorded['opens']:,}, clicks {recorded['clicks']:,}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--copies", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgres"])
    return parser.parse_args()


def _has(program: str) -> bool:
    return subprocess.run(["sh", "-c", f"command -v {program}"], capture_output=True).returncode == 0


def _send(api: harness.Api, copies: int, instance: harness.Mailyard) -> int:
    api.post("/domains", domain="bench.example")
    api.post("/senders", address="news@bench.example", display_name="Bench News")
    template = api.post("/templates", name="tracked", text="Hello {{name}}", html=HTML)
    list_id = api.recipient_list(1, 0, copies)
    task_id = api.task(int(str(template["id"])), list_id)
    api.wait_sent([task_id], copies, instance, timeout=600)
    return task_id


def _tracked_urls(port: int, key: tuple[str, str], task_id: int) -> tuple[list[str], list[str]]:
    pixels: list[str] = []
    links: list[str] = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}/v1", auth=key, timeout=60) as client:
        offset = 0
        while True:
            page = client.get("/outbox", params={"task_id": task_id, "limit": 100, "offset": offset}).json()
            for item in page["items"]:
                html = _html(client.get(f"/outbox/{item['id']}").content)
                pixels += [_path(url) for url in re.findall(r'<img src="([^"]+/o\.gif)"', html)]
                links += [_path(url) for url in re.findall(r'href="([^"]+/c/[^"]+)"', html)]
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return pixels, links


def _html(message: bytes) -> str:
    part = email.message_from_bytes(message, policy=email.policy.default).get_body(preferencelist=("html",))
    return str(part.get_content()) if part is not None else ""


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def _run(base: str, name: str, paths: list[str], status: int, arguments: argparse.Namespace) -> Rate:
    table = ",".join(f'"{path}"' for path in paths)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_SCRIPT % (table, status))
    try:
        command = ["wrk", "-t", str(WRK_THREADS), "-c", str(arguments.clients), "-d", f"{round(arguments.seconds)}s"]
        finished = subprocess.run(
            [*command, "-s", script.name, base + "/"], capture_output=True, text=True, check=True, timeout=120
        )
    finally:
        os.unlink(script.name)
    for line in finished.stdout.splitlines():
        if line.startswith("RESULT "):
            requests, microseconds, _p50, p99, errors = line.split()[1:]
            return Rate(name, int(requests) / (int(microseconds) / 1e6), float(p99), int(errors), int(requests))
    raise RuntimeError(f"wrk printed no result:\n{finished.stdout}")


def _recorded(instance: harness.Mailyard, key: tuple[str, str], task_id: int) -> dict[str, int]:
    """Engagement totals read after a clean stop, from a fresh API-only server over the same database."""
    instance.processes.clear()
    instance.start("check", "serve", "--api-only")
    harness.wait_for_port(instance.port)
    time.sleep(0.5)
    with httpx.Client(base_url=f"http://127.0.0.1:{instance.port}/v1", auth=key, timeout=60) as client:
        totals: dict[str, int] = client.get(f"/tasks/{task_id}/engagement").json()
    return totals


if __name__ == "__main__":
    main()
