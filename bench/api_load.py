"""API load on the three doors of several `mailyard serve` processes, for the soak (`bench/soak.py --scenarios api`).

Open-loop streams (each request sent at its time, whatever the answers before it), alternating between the
processes: signed Tencent `ListSendTasks` (TC3), signed Quick BI `GetMailTaskList` (RPC V2) and `GET /v1/tasks`.
Every answer is classified by what its door says: served, refused by the rate limit in the door's own words
(`RequestLimitExceeded`, `Throttling.User`, 429), or anything else (a 5xx, another error, no answer), which is an
error. `/healthz` of the same processes, in the same run, is the baseline the latencies are held against.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import acs2
import httpx
import tc3

Key = tuple[str, str]
Send = Callable[[httpx.AsyncClient, Key], Awaitable[str]]  # one request; "served", "limited" or "error: ..."
DOORS = ("Tencent ListSendTasks", "Quick BI GetMailTaskList", "native GET /v1/tasks")


async def tencent(client: httpx.AsyncClient, key: Key) -> str:
    body = b'{"Offset":0,"Limit":10}'
    headers = tc3.signed_headers(key, "ListSendTasks", body, host=client.base_url.netloc.decode())
    response = await client.post("/", content=body, headers=headers)
    if response.status_code != 200:
        return f"error: HTTP {response.status_code}"
    error = json.loads(response.content)["Response"].get("Error")
    if error is None:
        return "served"
    return "limited" if error["Code"] == "RequestLimitExceeded" else f"error: {error['Code']}"


async def quick_bi(client: httpx.AsyncClient, key: Key) -> str:
    response = await client.get("/?" + acs2.signed_query(key, "GetMailTaskList", {"PageSize": "10"}))
    if response.status_code == 200:
        return "served"
    code = json.loads(response.content).get("Code") if response.status_code < 500 else None
    return "limited" if code == "Throttling.User" else f"error: HTTP {response.status_code} {code}"


async def native(client: httpx.AsyncClient, key: Key) -> str:
    response = await client.get("/v1/tasks", params={"limit": 10}, auth=key)
    if response.status_code == 200:
        return "served"
    return "limited" if response.status_code == 429 else f"error: HTTP {response.status_code}"


async def healthz(client: httpx.AsyncClient, _key: Key) -> str:
    response = await client.get("/healthz")
    return "served" if response.status_code == 200 else f"error: HTTP {response.status_code}"


SENDERS: dict[str, Send] = dict(zip(DOORS, (tencent, quick_bi, native), strict=True)) | {"/healthz": healthz}


@dataclass
class Tally:
    """What one door answered during a phase."""

    served: int = 0
    limited: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  #: seconds, of every answer
    served_at: list[float] = field(default_factory=list)  #: when each served answer came (perf_counter)

    def served_span(self) -> float:
        """Seconds from the first served answer to the last: how long the servers spent serving these."""
        return max(self.served_at) - min(self.served_at) if self.served_at else 0.0

    def p99_ms(self) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")


@dataclass(frozen=True)
class Stream:
    door: str
    key: Key
    per_second: float


async def run(ports: Sequence[int], streams: Sequence[Stream], seconds: float) -> dict[str, Tally]:
    """Send every stream at its rate for `seconds`, its requests alternating between the processes."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    clients = [
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30, limits=limits, trust_env=False)
        for port in ports
    ]
    tallies = {stream.door: Tally() for stream in streams}
    started = time.perf_counter()
    try:
        requests = []
        for stream in streams:
            for number in range(int(seconds * stream.per_second)):
                due = started + number / stream.per_second
                client = clients[number % len(clients)]
                requests.append(_one(client, stream, due, tallies[stream.door]))
        await asyncio.gather(*requests)
    finally:
        for client in clients:
            await client.aclose()
    return tallies


async def _one(client: httpx.AsyncClient, stream: Stream, due: float, tally: Tally) -> None:
    await asyncio.sleep(max(0.0, due - time.perf_counter()))
    sent = time.perf_counter()
    try:
        outcome = await SENDERS[stream.door](client, stream.key)
    except (httpx.HTTPError, ValueError, KeyError) as error:  # no answer, or not the door's envelope
        outcome = f"error: {type(error).__name__}"
    tally.latencies.append(time.perf_counter() - sent)
    if outcome == "served":
        tally.served += 1
        tally.served_at.append(time.perf_counter())
    elif outcome == "limited":
        tally.limited += 1
    else:
        tally.errors.append(outcome)
