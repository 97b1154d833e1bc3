"""Signed Tencent `ListSendTasks` over 1,000,000 tasks in PostgreSQL, against a signed request that passes
authentication and answers at once (an unknown action → `InvalidAction`) through the same stack.

Usage: python bench/list_rate.py [--tasks 1000000] [--clients 32] [--seconds 10] [--limit 20]
                                 [--deep-offset 900000] [--database postgresql://...]

Creates a fresh PostgreSQL database, the account, users (an admin and members), a domain, sender, template and
recipient lists through the CLI and the native API, bulk-loads the tasks with chunks of `INSERT ... SELECT
generate_series` (a realistic spread of states, types, lists and owners), then starts `mailyard serve
--api-only` on it. Each scenario runs `clients` concurrent connections of `wrk` (Debian package `wrk`) for
`seconds`, every request TC3-signed (a scenario's requests are signed once as it starts: TC3 has no nonce, and
the server checks every signature in full all the same). wrk's script checks every answer (no error for the
listing, `InvalidAction` for the baseline), and one answer per scenario is read in full here. A load generator
in C leaves the machine's CPU to the server: a Python client took as much CPU as the server it measured.
Prints req/s, p50/p99, the ratio to the baseline (run first and last, so drift on a shared machine shows),
and the CPU time per request of the server process and of PostgreSQL, which other load on the machine skews
far less than the rates. Only ratios taken in one run mean anything.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import harness
import httpx
import tc3
import wrk_script

RATE_LIMIT = "1000000"  # the 20 requests/s per action of the real service would measure the limiter only
WRK_THREADS = 2


@dataclass
class Scenario:
    name: str
    action: str
    body: dict[str, Any]
    expect_error: str | None = None


@dataclass
class Target:
    key: tuple[str, str]
    host: str
    server_pid: int


@dataclass
class Outcome:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_ms: float
    database_cpu_ms: float


def main() -> None:
    arguments = _arguments()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop everything it started, also on SIGTERM
    with _database(arguments.database) as url, harness.mailyard(url, None, _environment()) as instance:
        fresh = not _loaded(url)
        key = instance.key()
        if fresh:
            for member in ("alice", "bob", "carol"):
                command = [harness.MAILYARD, "keys", "create", "--account", "default", "--user", member]
                command += ["--role", "member"]
                subprocess.run(command, env=instance.environment, check=True, capture_output=True, timeout=120)
        instance.start("serve", "serve", "--api-only")
        harness.wait_for_port(instance.port)
        if fresh:
            api = harness.Api(instance.port, key)
            template_id, _ = api.prepare(200)
            list_ids = [api.recipient_list(number, number * 10, 10) for number in range(1, 5)]
            started = time.perf_counter()
            asyncio.run(_load(url, arguments.tasks, template_id, list_ids))
            print(f"{arguments.tasks:,} tasks loaded in {time.perf_counter() - started:.0f} s")
        list_ids = asyncio.run(_list_ids(url))
        target = Target(key, f"127.0.0.1:{instance.port}", instance.processes["serve"].pid)
        _measure_all(target, list_ids, arguments)


@contextlib.contextmanager
def _database(url: str | None) -> Iterator[str]:
    """A fresh database dropped afterwards, or the one given (kept, loaded only when empty)."""
    if url:
        yield url
        return
    with harness.database("postgres") as fresh:
        assert fresh is not None
        yield fresh


def _loaded(url: str) -> bool:
    async def check() -> bool:
        connection = await asyncpg.connect(_plain(url), timeout=30)
        try:
            return bool(await connection.fetchval("SELECT to_regclass('tasks') IS NOT NULL"))
        finally:
            await connection.close()

    return asyncio.run(check())


async def _list_ids(url: str) -> list[int]:
    connection = await asyncpg.connect(_plain(url), timeout=30)
    try:
        return [row["id"] for row in await connection.fetch("SELECT id FROM recipient_lists ORDER BY id")]
    finally:
        await connection.close()


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0, help="per scenario")
    parser.add_argument("--limit", type=int, default=20, help="Limit of each ListSendTasks page")
    parser.add_argument("--deep-offset", type=int, default=900_000)
    parser.add_argument("--database", help="reuse this PostgreSQL database (loaded when empty, never dropped)")
    return parser.parse_args()


def _environment() -> dict[str, str]:
    return {"MAILYARD_TENCENT_RATE_LIMIT": RATE_LIMIT}


# ---- data ------------------------------------------------------------------------------------------------------

# One task in 100: 85 done, 5 sending, 4 pending, 2 error, 2 cancelled, 2 suspended.
_STATE = """CASE WHEN g % 100 < 85 THEN 'done' WHEN g % 100 < 90 THEN 'sending' WHEN g % 100 < 94 THEN 'pending'
    WHEN g % 100 < 96 THEN 'error' WHEN g % 100 < 98 THEN 'cancelled' ELSE 'suspended' END"""
# 60 % immediate, 30 % scheduled, 10 % recurring.
_TYPE = "CASE WHEN g % 10 < 6 THEN 1 WHEN g % 10 < 9 THEN 2 ELSE 3 END"

LOAD = f"""
INSERT INTO tasks (account_id, owner_id, name, from_address, subject, template_id, variables, recipient_list_id,
    task_type, kind, begin_at, interval_hours, terminated, paused, state, error_message, unsubscribe,
    requested_count, sent_count, cached_count, failed_count, skipped_count, next_fire_at, created_at, updated_at)
SELECT $1, ($2::bigint[])[1 + g % array_length($2, 1)], 'Digest ' || g, 'Bench News <news@bench.example>',
    'Digest ' || g, $3, '{{"edition":' || g || '}}', ($4::bigint[])[1 + (g / 7) % array_length($4, 1)],
    {_TYPE}, 'batch', CASE WHEN g % 10 >= 6 THEN now() - make_interval(secs => g) END,
    CASE WHEN g % 10 = 9 THEN 24 END, false, g % 97 = 0, {_STATE},
    CASE WHEN g % 100 IN (94, 95) THEN 'relay refused the sender' END, NULL,
    10, CASE WHEN g % 100 < 85 THEN 10 ELSE g % 10 END, 0, 0, 0, NULL,
    now() - make_interval(secs => $5 - g), now() - make_interval(secs => $5 - g)
FROM generate_series($6::bigint, $7::bigint) AS g
"""
# The counting triggers rewrite the same few rows of `task_counts` and `task_facets` for every task: in one
# transaction each rewrite walks every earlier version of its row (a chunk's cost grows with its square), so
# the load goes in small chunks, each committed, whose old versions can be pruned.
LOAD_CHUNK = 2_000
GRANTS = """INSERT INTO task_grants (task_id, user_id)
SELECT id, $2 FROM tasks WHERE account_id = $1 AND owner_id <> $2 AND id % 1000 = 0"""


async def _load(url: str, count: int, template_id: int, list_ids: list[int]) -> None:
    connection = await asyncpg.connect(_plain(url), timeout=30)
    try:
        account_id = await connection.fetchval("SELECT id FROM accounts WHERE name = 'default'")
        users = await connection.fetch("SELECT id, nickname FROM users WHERE account_id = $1 ORDER BY id", account_id)
        owner_ids = [row["id"] for row in users]
        for first in range(1, count + 1, LOAD_CHUNK):
            chunk = (first, min(count, first + LOAD_CHUNK - 1))
            await connection.execute(LOAD, account_id, owner_ids, template_id, list_ids, count, *chunk, timeout=600)
        alice = next(row["id"] for row in users if row["nickname"] == "alice")
        await connection.execute(GRANTS, account_id, alice, timeout=600)
        await connection.execute("VACUUM ANALYZE", timeout=3600)
    finally:
        await connection.close()


# ---- load ------------------------------------------------------------------------------------------------------


def _scenarios(list_ids: list[int], arguments: argparse.Namespace) -> list[Scenario]:
    page = {"Offset": 0, "Limit": arguments.limit}
    listing = "ListSendTasks"
    return [
        Scenario("baseline: unknown action", "NoSuchAction", page, expect_error="InvalidAction"),
        Scenario("ListSendTasks, no filter, Offset 0", listing, page),
        Scenario("ListSendTasks, Status=5", listing, page | {"Status": 5}),
        Scenario("ListSendTasks, Status=10", listing, page | {"Status": 10}),
        Scenario("ListSendTasks, TaskType=3", listing, page | {"TaskType": 3}),
        Scenario("ListSendTasks, ReceiverId", listing, page | {"ReceiverId": list_ids[1]}),
        Scenario(f"ListSendTasks, Offset {arguments.deep_offset:,}", listing, page | {"Offset": arguments.deep_offset}),
        Scenario("baseline again", "NoSuchAction", page, expect_error="InvalidAction"),
    ]


def _measure_all(target: Target, list_ids: list[int], arguments: argparse.Namespace) -> None:
    for scenario in _scenarios(list_ids, arguments)[:2]:  # warm up
        _run(target, scenario, arguments.clients, 2.0)
    results = [
        (scenario, _run(target, scenario, arguments.clients, arguments.seconds))
        for scenario in _scenarios(list_ids, arguments)
    ]
    baseline = results[0][1].rate
    print(f"\n{arguments.clients} connections (wrk), {arguments.seconds:.0f} s each, Limit {arguments.limit}")
    columns = f"{'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} {'server CPU':>10} {'db CPU':>7}"
    print(f"{'scenario':40} {columns}  errors")
    for scenario, outcome in results:
        print(
            f"{scenario.name:40} {outcome.rate:7.0f} {outcome.p50_ms:7.1f} {outcome.p99_ms:7.1f} "
            f"{outcome.rate / baseline:6.2f} {outcome.server_cpu_ms:8.2f}ms {outcome.database_cpu_ms:5.2f}ms  "
            f"{outcome.errors}"
        )
    print("server CPU and db CPU: milliseconds of CPU per request in the server process and in PostgreSQL")


def _run(target: Target, scenario: Scenario, clients: int, seconds: float) -> Outcome:
    """One scenario under wrk. Every answer is checked (by its error code) in wrk's Lua script, and one answer
    is read in full here first."""
    body = json.dumps(scenario.body)
    headers = tc3.signed_headers(target.key, scenario.action, body.encode(), host=target.host)
    _check_one(target, scenario, body, headers)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(wrk_script.render(body, headers, scenario.expect_error))
    try:
        server_cpu, database_cpu = harness.process_cpu(target.server_pid), harness.postgres_cpu()
        command = [
            "wrk",
            "-t",
            str(WRK_THREADS),
            "-c",
            str(clients),
            "-d",
            f"{max(1, round(seconds))}s",
            "--timeout",
            "10s",
        ]
        finished = subprocess.run(
            [*command, "-s", script.name, f"http://{target.host}/"],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        )
        server_cpu = harness.process_cpu(target.server_pid) - server_cpu
        database_cpu = harness.cpu_used(database_cpu, harness.postgres_cpu())
    finally:
        os.unlink(script.name)
    result = wrk_script.parse(finished.stdout)
    return Outcome(
        rate=result.requests / result.seconds,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        errors=result.errors,
        server_cpu_ms=server_cpu * 1000 / max(1, result.requests),
        database_cpu_ms=database_cpu * 1000 / max(1, result.requests),
    )


def _check_one(target: Target, scenario: Scenario, body: str, headers: dict[str, str]) -> None:
    """One answer read in full: the expected error, or a listing with its TotalCount and a full page of Data."""
    response = httpx.post(f"http://{target.host}/", content=body.encode(), headers=headers, timeout=60)
    answer = response.json()["Response"]
    code = answer.get("Error", {}).get("Code")
    if code != scenario.expect_error:
        raise RuntimeError(f"{scenario.name}: expected {scenario.expect_error}, got {answer}")
    if scenario.expect_error is None and len(answer["Data"]) != min(scenario.body["Limit"], answer["TotalCount"]):
        raise RuntimeError(f"{scenario.name}: a short page: {len(answer['Data'])} of {answer['TotalCount']}")


if __name__ == "__main__":
    main()
