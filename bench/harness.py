"""What the end-to-end benchmarks share: an smtp-sink, Mailyard processes, the native API, peak RSS from /proc.

Everything runs on 127.0.0.1 and every wait is bounded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

SINK = "/usr/sbin/smtp-sink"
SOURCE = "/usr/sbin/smtp-source"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
MAILYARD = str(Path(sys.executable).with_name("mailyard"))
BODY_LINE = "Dear {{name}}, this is line {{n}} of the Mailyard benchmark letter, nothing more to say here.\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f} s")


@contextlib.contextmanager
def smtp_sink() -> Iterator[int]:
    """One Postfix smtp-sink on a free loopback port (the physical limit of these benchmarks)."""
    port = free_port()
    user = ["-u", "postfix"] if os.geteuid() == 0 else []
    process = subprocess.Popen([SINK, *user, f"127.0.0.1:{port}", "1024"])
    try:
        wait_for_port(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def template_text(body_bytes: int) -> str:
    """A text template of about `body_bytes` once rendered, with a per-recipient variable in every line."""
    return BODY_LINE * max(1, body_bytes // len(BODY_LINE))


#: Where the HTML letter links to: five links, as a newsletter has, each rewritten when tracking is on.
HTML_LINKS = tuple(f"https://shop.example.com/offer/{number}?utm_source=bench" for number in range(1, 6))


def template_html(body_bytes: int) -> str:
    """An HTML template of about `body_bytes` once rendered: the text letter's lines as paragraphs, then five
    links (what tracking rewrites)."""
    links = "".join(f'<p><a href="{url}">Offer {number}</a></p>\n' for number, url in enumerate(HTML_LINKS, 1))
    paragraph = f"<p>{BODY_LINE.strip()}</p>\n"
    count = max(1, (body_bytes - len(links)) // len(paragraph))
    return f"<html><body>\n{paragraph * count}{links}</body></html>\n"


def source_rate(port: int, *, sessions: int, messages: int, length: int) -> float:
    """Messages per second of `smtp-source -d` (persistent sessions) into the sink."""
    command = [SOURCE, "-d", "-s", str(sessions), "-m", str(messages), "-l", str(length)]
    command += ["-f", "news@bench.example", "-t", "rcpt@example.org", f"127.0.0.1:{port}"]
    started = time.perf_counter()
    subprocess.run(command, check=True, timeout=600)
    return messages / (time.perf_counter() - started)


@contextlib.contextmanager
def database(kind: str) -> Iterator[str | None]:
    """The MAILYARD_DATABASE_URL of a fresh database: None for SQLite (the data directory's file), else a new
    PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield None
        return
    name = f"mailyard_bench_{os.getpid()}"
    _postgres(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def scheduled_tasks(runtime: Any, count: int) -> None:
    """`count` tasks of one recipient each, scheduled a day ahead: one made through the services, copied in
    SQL (through the services or the API this took minutes); the triggers count the copies as they count tasks."""
    from datetime import timedelta

    from sqlalchemy import text

    from mailyard.domain.tasks import Schedule, TaskType
    from mailyard.services.tasks import TaskRequest

    services = runtime.services
    issued = await services.access.issue_key(account_name="bench", nickname="admin")
    principal = await services.access.authenticate(issued.secret_id, issued.secret_key)
    await services.identities.create_domain(principal, "bench.example")
    await services.identities.create_sender(principal, address="news@bench.example")
    template = await services.templates.create(principal, name="t", subject="Hi", text="Hello", html=None)
    target = await services.recipients.create_list(principal, name="one")
    await services.recipients.add_recipients(principal, target.id, [("reader@example.org", None)])
    request = TaskRequest(
        name=None,
        from_address="news@bench.example",
        reply_to=None,
        subject="Hi",
        template_id=template.id,
        variables={},
        recipient_list_id=target.id,
        schedule=Schedule(type=TaskType.SCHEDULED, begin_at=services.clock.now() + timedelta(days=1)),
    )
    task = await services.tasks.create(principal, request)
    async with runtime.engine.begin() as connection:
        names = (await connection.execute(text("SELECT * FROM tasks LIMIT 0"))).keys()
        columns = ", ".join(name for name in names if name != "id")
        series = "generate_series(2, :count)"
        if runtime.engine.dialect.name != "postgresql":
            series = (
                "(WITH RECURSIVE n(x) AS (SELECT 2 UNION ALL SELECT x + 1 FROM n WHERE x < :count) SELECT x FROM n)"
            )
        copy = f"INSERT INTO tasks ({columns}) SELECT {columns} FROM tasks, {series} WHERE id = :id"
        await connection.execute(text(copy), {"count": count, "id": task.id})


def _postgres(statement: str, url: str = POSTGRES_ADMIN_URL) -> None:
    import asyncio

    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(url, timeout=10)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


@dataclass
class Mailyard:
    """A data directory, its environment and the Mailyard processes started over it."""

    environment: dict[str, str]
    data_dir: Path
    port: int
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    peaks: dict[str, int] = field(default_factory=dict)

    def key(self, account: str = "default") -> tuple[str, str]:
        """An admin access key of `account` (created through the CLI)."""
        command = [MAILYARD, "keys", "create", "--account", account, "--user", "bench", "--json"]
        output = subprocess.run(command, env=self.environment, check=True, capture_output=True, timeout=120).stdout
        issued = __import__("json").loads(output)
        return issued["SecretId"], issued["SecretKey"]

    def start(self, name: str, *arguments: str, port: int | None = None) -> None:
        """Start `mailyard ARGUMENTS` as `name`; `port`: serve on that one instead of the instance's."""
        log = (self.data_dir / f"{name}.log").open("wb")
        environment = self.environment | ({"MAILYARD_PORT": str(port)} if port else {})
        self.processes[name] = subprocess.Popen(
            [MAILYARD, *arguments], env=environment, stdout=log, stderr=subprocess.STDOUT
        )

    def sample_rss(self) -> None:
        """Remember each process's peak RSS (the kernel's high-water mark, VmHWM)."""
        for name, process in self.processes.items():
            peak = peak_rss(process.pid)
            if peak is not None:
                self.peaks[name] = max(self.peaks.get(name, 0), peak)

    def cpu_seconds(self) -> dict[str, float]:
        return {name: process_cpu(process.pid) for name, process in self.processes.items()}

    def stop(self) -> None:
        self.sample_rss()
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextlib.contextmanager
def mailyard(database_url: str | None, relays: str | None, extra: dict[str, str]) -> Iterator[Mailyard]:
    data_dir = Path(tempfile.mkdtemp(prefix="mailyard-bench-"))
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MAILYARD_")}
    environment |= {
        "MAILYARD_DATA_DIR": str(data_dir),
        "MAILYARD_IDENTITY_VERIFICATION": "trust",
        "MAILYARD_HOST": "127.0.0.1",
        "MAILYARD_INBOUND_SMTP": "off",  # the benchmarks measure sending; a fixed port would collide
        **({"MAILYARD_DATABASE_URL": database_url} if database_url else {}),
        **({"MAILYARD_RELAYS": relays} if relays else {}),
        **extra,
    }
    instance = Mailyard(environment, data_dir, free_port())
    environment["MAILYARD_PORT"] = str(instance.port)
    try:
        yield instance
    finally:
        instance.stop()
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            print(f"kept {data_dir}")


def drop_dkim_keys(database_url: str | None, data_dir: Path) -> None:
    """Make the sending domains keyless, so copies go out unsigned (as when the relay signs): the only way
    to measure the engine without the RSA signature, which costs about 1 ms of CPU a message by itself."""
    statement = "UPDATE sending_domains SET sealed_dkim_key = ''"
    if database_url is None:
        import sqlite3

        with contextlib.closing(sqlite3.connect(data_dir / "mailyard.db")) as connection, connection:
            connection.execute(statement)
        return
    _postgres(statement, database_url.replace("postgresql+asyncpg://", "postgresql://"))


def peak_rss(pid: int) -> int | None:
    """Peak resident set size in bytes, or None when the process is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process (0 when gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> dict[int, float]:
    """User + system CPU seconds of each PostgreSQL process of this machine, by pid (see `cpu_used`)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if (entry / "comm").read_text().strip() == "postgres":
                found[int(entry.name)] = process_cpu(int(entry.name))
    return found


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the processes used between two `postgres_cpu` readings: what each one still alive used since
    the first (all of it for one started meanwhile); a process that exited meanwhile took its share with it."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


class Api:
    """The few native API calls the benchmarks make."""

    def __init__(self, port: int, key: tuple[str, str]) -> None:
        self._client = httpx.Client(base_url=f"http://127.0.0.1:{port}/v1", auth=key, timeout=300)

    def post(self, path: str, **body: object) -> dict[str, object]:
        response = self._client.post(path, json=body)
        response.raise_for_status()
        result: dict[str, object] = response.json()
        return result

    def counters(self, task_id: int) -> dict[str, int]:
        response = self._client.get(f"/tasks/{task_id}")
        response.raise_for_status()
        body = response.json()
        counters: dict[str, int] = body["counters"]
        if body["state"] == "error":
            raise RuntimeError(f"task {task_id} is in error: {body['error_message']}")
        return counters

    def prepare(self, body_bytes: int, *, html: bool = False) -> tuple[int, int]:
        """Domain, sender and template (text only, or text and HTML halves of the size); (template id, its
        rendered body size)."""
        self.post("/domains", domain="bench.example")
        self.post("/senders", address="news@bench.example", display_name="Bench News")
        if not html:
            text = template_text(body_bytes)
            template = self.post("/templates", name="bench", text=text)
            return int(str(template["id"])), len(text)
        text, markup = template_text(body_bytes // 2), template_html(body_bytes // 2)
        template = self.post("/templates", name="bench", text=text, html=markup)
        return int(str(template["id"])), len(text) + len(markup)

    def track(self, *, opens: bool, clicks: bool) -> None:
        """The account's tracking setting (on by default)."""
        response = self._client.put("/account/tracking", json={"opens": opens, "clicks": clicks})
        response.raise_for_status()

    def recipient_list(self, number: int, first: int, count: int) -> int:
        """A list of `count` recipients (r{first}..@example.org with a name variable), in one streamed upload."""
        created = self.post("/lists", name=f"bench {number}")
        list_id = int(str(created["id"]))

        def rows() -> Iterator[bytes]:
            yield b"email,name,n\n"
            for start in range(first, first + count, 10_000):
                stop = min(start + 10_000, first + count)
                yield "".join(
                    f"r{index}@example.org,Reader {index},{index % 97}\n" for index in range(start, stop)
                ).encode()

        response = self._client.post(
            f"/lists/{list_id}/recipients.csv", content=rows(), headers={"content-type": "text/csv"}
        )
        response.raise_for_status()
        if response.json()["valid"] != count:
            raise RuntimeError(f"the upload refused some recipients: {response.json()}")
        return list_id

    def task(self, template_id: int, list_id: int, *, tracking: bool | None = None) -> int:
        """An immediate task; `tracking` on or off for its copies (None: the account's setting)."""
        options = {} if tracking is None else {"tracking": {"opens": tracking, "clicks": tracking}}
        created = self.post(
            "/tasks",
            from_address="Bench News <news@bench.example>",
            subject="Hello {{name}}",
            template_id=template_id,
            recipient_list_id=list_id,
            **options,
        )
        return int(str(created["id"]))

    def wait_sent(self, task_ids: list[int], total: int, instance: Mailyard, timeout: float) -> float:
        """Poll the task counters until every delivery is sent (or failed); the time it took."""
        started = time.perf_counter()
        deadline = started + timeout
        while time.perf_counter() < deadline:
            counters = [self.counters(task_id) for task_id in task_ids]
            done = sum(item["sent"] + item["failed"] for item in counters)
            instance.sample_rss()
            if done >= total:
                failed = sum(item["failed"] for item in counters)
                if failed:
                    print(f"warning: {failed} deliveries failed")
                return time.perf_counter() - started
            for name, process in instance.processes.items():
                if process.poll() is not None:
                    log = (instance.data_dir / f"{name}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{name} exited with {process.returncode}:\n{log}")
            time.sleep(0.5)  # polling costs the API process CPU that the worker could use
        raise RuntimeError(f"not done after {timeout:.0f} s: {counters}")


def megabytes(size: int) -> str:
    return f"{size / 2**20:.0f} MB"
