"""Figures a release can repeat: faults and crashes with real processes on loopback, printed as one table.

Usage: python bench/soak.py [--scenarios kill,restart,relay,scheduler,api] [--recipients 20000]

- kill: 3 `mailyard worker` processes on PostgreSQL send a task into a recording SMTP sink; one is SIGKILLed
  and restarted 5 times. Skipped must be 0, duplicates at most what the killed workers held, counters = ledger.
- restart: the same on a PostgreSQL of its own (initdb into a temporary directory, its own port), restarted
  mid-task: every process carries on by itself, nothing is lost.
- relay: one small task per relay fault, each must end as designed with every delivery accounted for.
- scheduler: 10,000 scheduled tasks made due in the same second (one UPDATE) while 3 workers run on
  PostgreSQL: the time until every one has started its run, against 5 s.
- api: 2 `mailyard serve --api-only` processes sharing PostgreSQL and Redis, load on the Tencent, Quick BI and
  native doors while 3 workers send a task: the 20 requests/s per action per account held across both
  processes (the excess refused in each door's own words, never a 5xx), p99 per door against `/healthz` of the
  same processes in the same run, and nothing lost.

Every wait is bounded; a scenario that runs out of time is a FAIL row, not a hang.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import api_load
import asyncpg
import harness

ROOT = Path(__file__).resolve().parents[1]
RECORDING_SINK = ROOT / "tests" / "acceptance" / "smtp_sink.py"
FAULT_RELAY = Path(__file__).with_name("fault_relay.py")
WORKERS, KILLS, BATCH, PIPELINE = 3, 5, 16, 2
# A killed worker may have sent, and not yet recorded, everything it held leased: its batches in the pipeline.
HELD_PER_KILL = BATCH * PIPELINE
POSTGRES_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), Path("/usr/bin"))


@dataclass
class Row:
    scenario: str
    figure: str
    value: str
    limit: str
    passed: bool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scenarios", default="kill,restart,relay,scheduler,api")
    parser.add_argument("--recipients", type=int, default=20_000)
    arguments = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop everything it started, also on SIGTERM
    scenarios: dict[str, Callable[[int], list[Row]]] = {"kill": kill_workers, "restart": restart_postgres}
    scenarios["relay"] = lambda _count: relay_faults()
    scenarios["scheduler"] = lambda _count: scheduler_burst()
    scenarios["api"] = api_under_load
    rows: list[Row] = []
    for name in arguments.scenarios.split(","):
        try:
            rows += scenarios[name](arguments.recipients)
        except Exception as error:  # a scenario that breaks is a failed row; the others still run
            rows.append(Row(name, "completed", f"{type(error).__name__}: {error}"[:120], "no error", False))
    _print(rows)
    sys.exit(0 if all(row.passed for row in rows) else 1)


def _print(rows: list[Row]) -> None:
    widths = [max(len(getattr(row, name)) for row in rows) for name in ("scenario", "figure", "value", "limit")]
    header = ("scenario", "figure", "value", "limit")
    widths = [max(width, len(title)) for width, title in zip(widths, header, strict=True)]
    print()
    print("  ".join(title.ljust(width) for title, width in zip(header, widths, strict=True)), " result")
    for row in rows:
        cells = (row.scenario, row.figure, row.value, row.limit)
        line = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        print(line, " PASS" if row.passed else " FAIL")


# --- a recording sink and a big task ------------------------------------------------------------------------


@contextlib.contextmanager
def recording_sink() -> Iterator[tuple[int, Path]]:
    """The acceptance tests' aiosmtpd sink: one `recipient<TAB>message-id` line per copy received."""
    port, out = harness.free_port(), Path(tempfile.mkstemp(prefix="soak-sink-", suffix=".tsv")[1])
    command = [sys.executable, str(RECORDING_SINK), "--port", str(port), "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
        yield port, out
    finally:
        process.terminate()
        process.wait(10)
        out.unlink(missing_ok=True)


def received(out: Path) -> list[str]:
    return [line.split("\t", 1)[0] for line in out.read_text().splitlines() if line]


def _engine_environment(relay_port: int) -> dict[str, str]:
    return {
        "MAILYARD_LEASE_SECONDS": "3",
        "MAILYARD_WORKER_BATCH_SIZE": str(BATCH),
        "MAILYARD_WORKER_CONCURRENCY": str(BATCH),
        "MAILYARD_POLL_SECONDS": "0.2",
        "MAILYARD_RELAYS": f"smtp://127.0.0.1:{relay_port}?connections=8&timeout=5",
    }


def _big_task(instance: harness.Mailyard, url: str | None, count: int) -> tuple[harness.Api, int]:
    api = harness.Api(instance.port, instance.key())
    instance.start("serve", "serve", "--api-only")
    harness.wait_for_port(instance.port)
    template_id, _ = api.prepare(400)
    harness.drop_dkim_keys(url, instance.data_dir)  # signing is measured elsewhere; here it would only cost CPU
    list_id = api.recipient_list(1, 0, count)
    for number in range(WORKERS):
        instance.start(f"worker-{number}", "worker")
    return api, api.task(template_id, list_id)


def _wait_count(out: Path, count: int, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while len(received(out)) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {count} copies received after {seconds:.0f} s")
        time.sleep(0.1)


def _ledger_sent(url: str, task_id: int) -> int:
    async def count() -> int:
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"), timeout=10)
        try:
            sql = "SELECT count(*) FROM deliveries WHERE task_id = $1 AND state = 'sent'"
            return int(await connection.fetchval(sql, task_id))
        finally:
            await connection.close()

    return asyncio.run(count())


def _contract_rows(name: str, count: int, out: Path, api: harness.Api, url: str, task_id: int, held: int) -> list[Row]:
    copies = Counter(received(out))
    skipped = count - len(copies)
    duplicates = sum(copies.values()) - len(copies)
    counters = api.counters(task_id)
    ledger = _ledger_sent(url, task_id)
    return [
        Row(name, "skipped recipients", str(skipped), "0", skipped == 0),
        Row(name, "duplicate copies", str(duplicates), f"<= {held} (in flight)", duplicates <= held),
        Row(name, "counters = ledger", f"{counters['sent']} = {ledger}", "equal", counters["sent"] == ledger == count),
    ]


# --- kill ---------------------------------------------------------------------------------------------------


def kill_workers(count: int) -> list[Row]:
    name = f"kill x{KILLS}, {WORKERS} workers"
    with recording_sink() as (port, out), harness.database("postgres") as url:
        assert url is not None
        with harness.mailyard(url, None, _engine_environment(port)) as instance:
            api, task_id = _big_task(instance, url, count)
            started = time.perf_counter()
            for kill in range(KILLS):
                _wait_count(out, (kill + 1) * count // (KILLS + 2))
                victim = f"worker-{kill % WORKERS}"
                instance.processes[victim].kill()
                instance.processes[victim].wait(10)
                instance.start(victim, "worker")
            api.wait_sent([task_id], count, instance, 600)
            elapsed = time.perf_counter() - started
            rows = _contract_rows(name, count, out, api, url, task_id, KILLS * HELD_PER_KILL)
    return [*rows, Row(name, f"{count} recipients sent in", f"{elapsed:.1f} s", "-", True)]


# --- restart ------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def own_postgres() -> Iterator[tuple[str, Callable[[], float]]]:
    """A PostgreSQL cluster of this run's own (initdb into a temporary directory, its own port); the URL of a
    database on it, and a function that restarts the server and returns how long it was down."""
    directory = Path(tempfile.mkdtemp(prefix="soak-postgres-"))
    port = harness.free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(directory, "postgres", "postgres")
    data = directory / "data"
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1"
    control = [*as_postgres, str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-l", str(directory / "log"), "-w"]
    subprocess.run(
        [*as_postgres, str(POSTGRES_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    subprocess.run([*control, "-o", options, "start"], check=True, capture_output=True, timeout=60)
    try:
        admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        harness._postgres('CREATE DATABASE "soak"', admin)

        def restart() -> float:
            started = time.perf_counter()
            subprocess.run(
                [*control, "-m", "fast", "-o", options, "restart"], check=True, capture_output=True, timeout=120
            )
            return time.perf_counter() - started

        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/soak", restart
    finally:
        subprocess.run([*control, "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(directory, ignore_errors=True)


def restart_postgres(count: int) -> list[Row]:
    name = "PostgreSQL restarted"
    count = min(count, 10_000)
    with (
        recording_sink() as (port, out),
        own_postgres() as (url, restart),
        harness.mailyard(url, None, _engine_environment(port)) as instance,
    ):
        api, task_id = _big_task(instance, url, count)
        _wait_count(out, count // 3)
        down = restart()
        started = time.perf_counter()
        api.wait_sent([task_id], count, instance, 300)
        recovered = time.perf_counter() - started
        alive = sum(1 for process in instance.processes.values() if process.poll() is None)
        rows = _contract_rows(name, count, out, api, url, task_id, WORKERS * HELD_PER_KILL)
    return [
        *rows,
        Row(name, "processes still running", f"{alive}/{WORKERS + 1}", "all, none restarted", alive == WORKERS + 1),
        Row(name, "down, then done after", f"{down:.1f} s, {recovered:.1f} s", "-", True),
    ]


# --- relay faults -------------------------------------------------------------------------------------------

# fault -> (what every delivery's state must be, what the task's state must be); "bad..." recipients are the
# ones reject-one refuses.
DESIGNED = {
    "refused": ({"queued"}, "sending"),
    "greeting-421": ({"queued"}, "sending"),
    "data-451": ({"queued"}, "sending"),
    "drop-in-data": ({"queued"}, "sending"),
    "stall": ({"queued"}, "sending"),
    "reject-one": ({"sent", "failed"}, "done"),
    "auth-535": ({"queued"}, "error"),
}
RELAY_RECIPIENTS = ("ann@example.org", "ben@example.org", "bad@example.org")


@contextlib.contextmanager
def fault_relay(fault: str) -> Iterator[int]:
    port = harness.free_port()
    if fault == "refused":
        yield port  # nothing listens there
        return
    out = Path(tempfile.mkstemp(prefix="soak-relay-")[1])
    command = [sys.executable, str(FAULT_RELAY), "--port", str(port), "--fault", fault, "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
        yield port
    finally:
        process.terminate()
        process.wait(10)
        out.unlink(missing_ok=True)


def relay_faults() -> list[Row]:
    rows = []
    for fault, (states, task_state) in DESIGNED.items():
        with fault_relay(fault) as port:
            relays = f"smtp://user:secret@127.0.0.1:{port}?timeout=2&connections=2"
            with harness.mailyard(None, relays, {"MAILYARD_POLL_SECONDS": "0.2"}) as instance:
                seen_states, seen_task = _one_faulty_task(instance)
        designed = seen_states <= states and seen_task == task_state
        if fault == "reject-one":
            designed = designed and seen_states == states
        shown = f"{','.join(sorted(seen_states))}; task {seen_task}"
        rows.append(Row("relay fault", fault, shown, f"{','.join(sorted(states))}; task {task_state}", designed))
    return rows


def _one_faulty_task(instance: harness.Mailyard) -> tuple[set[str], str]:
    """Send three recipients through the faulty relay; once each was attempted, the set of delivery states
    (every recipient accounted for) and the task's state."""
    api = harness.Api(instance.port, instance.key())
    instance.start("serve", "serve")
    harness.wait_for_port(instance.port)
    template_id, _ = api.prepare(200)
    listed = api.post("/lists", name="fault")
    list_id = int(str(listed["id"]))
    api.post(f"/lists/{list_id}/recipients", recipients=[{"address": address} for address in RELAY_RECIPIENTS])
    task_id = api.task(template_id, list_id)
    client = api._client
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        deliveries = client.get(f"/tasks/{task_id}/deliveries", params={"limit": 10}).json()["items"]
        task = client.get(f"/tasks/{task_id}").json()
        attempted = [item for item in deliveries if item["state"] in ("sent", "failed") or _deferred(item)]
        if len(deliveries) == len(RELAY_RECIPIENTS) and (len(attempted) == len(deliveries) or task["state"] == "error"):
            return {item["state"] for item in deliveries}, str(task["state"])
        time.sleep(0.2)
    raise TimeoutError("the deliveries were not all attempted within 60 s")


def _deferred(delivery: dict[str, object]) -> bool:
    """Back in the queue after an attempt (a lease in progress is not an outcome yet)."""
    return delivery["state"] == "queued" and int(str(delivery["attempts"])) > 0


# --- scheduler ----------------------------------------------------------------------------------------------

DUE_TASKS = 10_000
START_LIMIT_SECONDS = 5.0


def scheduler_burst() -> list[Row]:
    name = f"{DUE_TASKS} tasks due at once"
    with harness.database("postgres") as url:
        assert url is not None
        with harness.mailyard(url, None, {"MAILYARD_POLL_SECONDS": "0.2"}) as instance:
            asyncio.run(_scheduled_tasks(url, instance.data_dir, DUE_TASKS))
            for number in range(WORKERS):
                instance.start(f"worker-{number}", "worker")
            time.sleep(3)  # workers up and idle: start-up is not scheduling
            plain = url.replace("postgresql+asyncpg://", "postgresql://")
            harness._postgres("UPDATE tasks SET next_fire_at = now() AT TIME ZONE 'UTC'", plain)
            elapsed, started = _wait_runs(plain, DUE_TASKS, instance)
    shown = f"{elapsed:.1f} s" if started >= DUE_TASKS else f"{started} of them in {elapsed:.0f} s"
    passed = started >= DUE_TASKS and elapsed <= START_LIMIT_SECONDS
    return [Row(name, "every run started after", shown, f"<= {START_LIMIT_SECONDS:.0f} s", passed)]


async def _scheduled_tasks(url: str, data_dir: Path, count: int) -> None:
    from mailyard import bootstrap
    from mailyard.settings import Settings

    runtime = await bootstrap.open_runtime(Settings(data_dir=data_dir, database_url=url, identity_verification="trust"))
    try:
        await harness.scheduled_tasks(runtime, count)
    finally:
        await runtime.close()


def _wait_runs(url: str, count: int, instance: harness.Mailyard, seconds: float = 120) -> tuple[float, int]:
    """How long until `count` runs exist (or `seconds` have passed), and how many did."""
    started = time.perf_counter()

    async def runs() -> int:
        connection = await asyncpg.connect(url, timeout=10)
        try:
            return int(await connection.fetchval("SELECT count(*) FROM runs"))
        finally:
            await connection.close()

    while (made := asyncio.run(runs())) < count and time.perf_counter() - started < seconds:
        if any(process.poll() is not None for process in instance.processes.values()):
            raise RuntimeError("a worker exited")
        time.sleep(0.05)
    return time.perf_counter() - started, made


# --- API load -----------------------------------------------------------------------------------------------

API_PROCESSES, API_ACCOUNTS, API_SECONDS = 2, 2, 5
RATE_LIMIT = 20  #: requests a second per action per account, on every door (the default)
OVER_LIMIT = 2 * RATE_LIMIT  #: what the limit phase sends per door
PACED = 5  #: requests a second per account per door in the latency phase, under the limit
P99_LIMIT_RATIO = 10  #: a door's p99 against the p99 of /healthz on the same processes under the same load
REDIS_URL = "redis://127.0.0.1:6379/11"


def api_under_load(count: int) -> list[Row]:
    name = f"API load, {API_PROCESSES} serve processes"
    count = min(count, 5_000)
    with recording_sink() as (sink_port, out), harness.database("postgres") as url:
        assert url is not None
        shared = {"MAILYARD_REDIS_URL": REDIS_URL, "MAILYARD_CLIENT_RATE_LIMIT": "1000000"}
        shared["MAILYARD_SUBMISSION_SMTP"] = "off"  # a fixed port, which two processes cannot share
        with harness.mailyard(url, None, _engine_environment(sink_port) | shared) as instance:
            api, task_id = _big_task(instance, url, count)  # the workers send while the doors are loaded
            ports = [instance.port, *(harness.free_port() for _ in range(API_PROCESSES - 1))]
            for number, port in enumerate(ports[1:], 1):
                instance.start(f"serve-{number}", "serve", "--api-only", port=port)
                harness.wait_for_port(port, 120)
            limited_key = instance.key("limits")
            keys = [instance.key(f"load-{number}") for number in range(API_ACCOUNTS)]
            # Each process's first requests open its connections (Redis among them): start-up is not load.
            warm = [api_load.Stream(door, key, 2) for door in api_load.DOORS for key in [limited_key, *keys]]
            asyncio.run(api_load.run(ports, warm, 2))
            limit_tallies = {}
            for door in api_load.DOORS:  # one door at a time: the limit is measured, not the machine's capacity
                over = api_load.Stream(door, limited_key, OVER_LIMIT)
                limit_tallies |= asyncio.run(api_load.run(ports, [over], API_SECONDS))
            paced = [api_load.Stream(door, key, PACED) for door in api_load.DOORS for key in keys]
            baseline = api_load.Stream("/healthz", limited_key, PACED * API_ACCOUNTS)
            tallies = asyncio.run(api_load.run(ports, [*paced, baseline], API_SECONDS))
            api.wait_sent([task_id], count, instance, 300)
            rows = _contract_rows(name, count, out, api, url, task_id, 0)
    return [*_limit_rows(name, limit_tallies), *_latency_rows(name, tallies), *rows]


def _limit_rows(name: str, tallies: dict[str, api_load.Tally]) -> list[Row]:
    """Answers come late on a loaded machine, so the served ones are held against the time they took to come."""
    rows = []
    for door, tally in tallies.items():
        span = tally.served_span()
        highest = RATE_LIMIT * (span + 1)  # a window of one second may serve the limit at each end
        shown = f"{tally.served} served in {span:.1f} s, {tally.limited} refused{_errors(tally)}"
        passed = tally.served <= highest and tally.limited > 0 and not tally.errors
        limit = f"<= {RATE_LIMIT}/s x (span + 1 s) = {highest:.0f}, some refused, 0 errors"
        rows.append(Row(name, f"{RATE_LIMIT}/s held, {door}", shown, limit, passed))
    return rows


def _latency_rows(name: str, tallies: dict[str, api_load.Tally]) -> list[Row]:
    base = tallies.pop("/healthz")
    limit = P99_LIMIT_RATIO * base.p99_ms()
    rows = [Row(name, "p99 /healthz (baseline)", f"{base.p99_ms():.0f} ms{_errors(base)}", "-", not base.errors)]
    for door, tally in tallies.items():
        total = tally.served + tally.limited + len(tally.errors)
        shown = f"{tally.p99_ms():.0f} ms, {total} requests, {tally.limited} refused{_errors(tally)}"
        passed = tally.p99_ms() <= limit and not tally.errors
        rows.append(Row(name, f"p99 {door}", shown, f"<= {limit:.0f} ms, 0 errors", passed))
    return rows


def _errors(tally: api_load.Tally) -> str:
    if not tally.errors:
        return ", 0 errors"
    common, times = Counter(tally.errors).most_common(1)[0]
    return f", {len(tally.errors)} errors ({times}x {common})"


if __name__ == "__main__":
    main()
