"""Real processes for the acceptance tests: an SMTP sink and `python -m mailyard worker` processes on one
PostgreSQL database (a fresh copy of the migrated template per test, see tests/conftest.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mailyard.settings import Settings
from mailyard.system.clock import SystemClock

SINK_SCRIPT = Path(__file__).with_name("smtp_sink.py")
LEASE_SECONDS = 3  # short, so a killed worker's leases come back within seconds


@pytest.fixture
def database_kind() -> str:
    """Acceptance tests run on PostgreSQL only: many processes share the database."""
    return "postgres"


@pytest.fixture
def clock() -> SystemClock:
    """The worker processes use the real clock; the test's runtime must agree with them."""
    return SystemClock()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Sink:
    """The SMTP sink process and what it recorded."""

    port: int
    path: Path
    process: subprocess.Popen[bytes]

    def count(self) -> int:
        with self.path.open("rb") as recorded:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: recorded.read(1 << 16), b""))

    def records(self) -> list[tuple[str, str]]:
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [(rcpt, message_id) for rcpt, message_id in (line.split("\t") for line in lines)]


@pytest.fixture
def start_sink(tmp_path: Path) -> Iterator[Callable[..., Sink]]:
    sinks: list[Sink] = []

    def start(*, delay: float = 0.0) -> Sink:
        port, path = free_port(), tmp_path / f"sink-{len(sinks)}.tsv"
        path.touch()
        command = [sys.executable, str(SINK_SCRIPT), "--port", str(port), "--out", str(path), "--delay", str(delay)]
        # Its stderr goes to a file: aiosmtpd complains about every connection a SIGKILLed worker drops.
        with (tmp_path / f"sink-{len(sinks)}.log").open("wb") as errors:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
        sinks.append(Sink(port, path, process))
        return sinks[-1]

    yield start
    for sink in sinks:
        sink.process.terminate()
        sink.process.wait(10)
        if sink.process.stdout is not None:
            sink.process.stdout.close()  # the pipe read "ready"; left open it is an unclosed file


@dataclass
class WorkerProcess:
    """One `python -m mailyard worker`; restartable after a kill."""

    env: dict[str, str]
    log_dir: Path
    index: int
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    logs: list[Path] = field(default_factory=list)

    def start(self) -> None:
        log = self.log_dir / f"worker-{self.index}-{self.starts}.log"
        self.logs.append(log)
        self.starts += 1
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mailyard", "worker"], env=self.env, stdout=output, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM and the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def tail(self) -> str:
        return "".join(path.read_text(errors="replace")[-3000:] for path in self.logs)


@pytest.fixture
def start_workers(settings: Settings, tmp_path: Path) -> Iterator[Callable[..., list[WorkerProcess]]]:
    """`start_workers(sink, count, concurrency=16, batch_size=16)`: worker processes sending into the sink."""
    started: list[WorkerProcess] = []

    def start(sink: Sink, count: int, *, concurrency: int = 16, batch_size: int = 16) -> list[WorkerProcess]:
        env = {name: value for name, value in os.environ.items() if not name.startswith("MAILYARD_")}
        env.update(
            MAILYARD_DATABASE_URL=settings.resolved_database_url,
            MAILYARD_DATA_DIR=str(settings.data_dir),  # holds the master key the test's runtime created
            MAILYARD_RELAYS=f"smtp://127.0.0.1:{sink.port}?connections={concurrency}&timeout=10",
            MAILYARD_LEASE_SECONDS=str(LEASE_SECONDS),
            MAILYARD_POLL_SECONDS="0.1",
            MAILYARD_WORKER_CONCURRENCY=str(concurrency),
            MAILYARD_WORKER_BATCH_SIZE=str(batch_size),
        )
        workers = [WorkerProcess(env, tmp_path, len(started) + index) for index in range(count)]
        for worker in workers:
            worker.start()
        started.extend(workers)
        return workers

    yield start
    for worker in started:
        if worker.process is not None and worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(10)


async def wait_until(condition: Callable[[], Awaitable[bool] | bool], seconds: float, what: str) -> None:
    """Poll `condition` (plain or async) every 50 ms until it holds; fail after `seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        result: Any = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            pytest.fail(f"timed out after {seconds} s waiting for {what}")
        await asyncio.sleep(0.05)
