"""Mailyard's SMTP client against Postfix's smtp-source, both into one smtp-sink, in the same run.

Usage: python bench/smtp_client_rate.py [--connections 16] [--messages 30000] [--rounds 5] [--uvloop] [--pool]

``--pool`` sends through ``RelayPool.deliver`` (connection checkout, limiter, outcome classification) instead
of bare ``SmtpClient`` sessions.

Needs /usr/sbin/smtp-sink and /usr/sbin/smtp-source (Debian package ``postfix``; no daemon is used).
Prints the median rate of each sender over interleaved rounds and their ratio; absolute rates drift between
runs on shared machines, so only the ratio means anything.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

SINK = "/usr/sbin/smtp-sink"
SOURCE = "/usr/sbin/smtp-source"
BODY_LENGTH = 5120


def main() -> None:
    arguments = _arguments()
    if arguments.client_port:
        _client_run(arguments)
        return
    with _sink() as port:
        ours: list[tuple[float, float]] = []
        theirs: list[tuple[float, float]] = []
        for number in range(1, arguments.rounds + 1):
            theirs.append(_timed_source(port, arguments))
            ours.append(_timed_client(port, arguments))
            print(
                f"round {number}: smtp-source {theirs[-1][0]:6.0f} msg/s {theirs[-1][1]:4.0f} µs CPU/msg"
                f"   mailyard {ours[-1][0]:6.0f} msg/s {ours[-1][1]:4.0f} µs CPU/msg"
            )
    source_rate, client_rate = (statistics.median(rate for rate, _ in runs) for runs in (theirs, ours))
    ratios = [mine[0] / other[0] for mine, other in zip(ours, theirs, strict=True)]
    print(f"smtp-source -d -s {arguments.connections}: {source_rate:.0f} msg/s (median)")
    sender = "RelayPool" if arguments.pool else "SmtpClient"
    print(f"mailyard {sender} x {arguments.connections}: {client_rate:.0f} msg/s (median)")
    print(f"ratio of medians: {client_rate / source_rate:.2f}")
    print(f"median of per-round ratios: {statistics.median(ratios):.2f}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--messages", type=int, default=30000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--uvloop", action="store_true", help="run the client on uvloop")
    parser.add_argument("--pool", action="store_true", help="send through RelayPool.deliver")
    parser.add_argument("--client-port", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args()


@contextlib.contextmanager
def _sink() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    user = ["-u", "postfix"] if os.geteuid() == 0 else []
    process = subprocess.Popen([SINK, *user, f"127.0.0.1:{port}", "1024"])
    try:
        _wait_for_port(port)
        yield port
    finally:
        process.terminate()
        process.wait()


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    raise RuntimeError("smtp-sink did not start")


def _timed_source(port: int, arguments: argparse.Namespace) -> tuple[float, float]:
    """(messages per second, CPU microseconds per message) of one smtp-source run."""
    command = [SOURCE, "-d", "-s", str(arguments.connections), "-l", str(BODY_LENGTH)]
    command += ["-m", str(arguments.messages), "-f", "sender@example.com", "-t", "rcpt@example.com"]
    cpu_before = _children_cpu()
    started = time.perf_counter()
    subprocess.run([*command, f"127.0.0.1:{port}"], check=True)
    elapsed = time.perf_counter() - started
    return arguments.messages / elapsed, (_children_cpu() - cpu_before) / arguments.messages * 1e6


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed_client(port: int, arguments: argparse.Namespace) -> tuple[float, float]:
    command = [sys.executable, __file__, "--client-port", str(port)]
    command += ["--connections", str(arguments.connections), "--messages", str(arguments.messages)]
    command += [flag for flag, wanted in (("--uvloop", arguments.uvloop), ("--pool", arguments.pool)) if wanted]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rate, cpu = output.split()
    return float(rate), float(cpu)


def _client_run(arguments: argparse.Namespace) -> None:
    """In a child process: send the messages over N connections and print the rate (startup excluded)."""
    if arguments.uvloop:
        import uvloop

        rate, cpu = uvloop.run(_send_all(arguments))
    else:
        rate, cpu = asyncio.run(_send_all(arguments))
    print(rate, cpu)


async def _send_all(arguments: argparse.Namespace) -> tuple[float, float]:
    from mailyard.mail.relays import RelayConfig
    from mailyard.mail.smtp_client import to_smtp_data

    relay = RelayConfig(
        host="127.0.0.1",
        port=arguments.client_port,
        name="sink",
        helo="bench.example",
        connections=arguments.connections,
    )
    header = b"From: sender@example.com\r\nTo: rcpt@example.com\r\nSubject: bench\r\n\r\n"
    data = to_smtp_data(header + (b"x" * 78 + b"\r\n") * (BODY_LENGTH // 80))
    senders, close = await (_pool_senders if arguments.pool else _client_senders)(relay, data, arguments.connections)
    share, extra = divmod(arguments.messages, arguments.connections)
    started, cpu_started = time.perf_counter(), time.process_time()
    await asyncio.gather(*(send(share + (i < extra)) for i, send in enumerate(senders)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    await close()
    return arguments.messages / elapsed, cpu / arguments.messages * 1e6


Send = Callable[[int], Awaitable[None]]
Close = Callable[[], Awaitable[None]]


async def _client_senders(relay: Any, data: bytes, connections: int) -> tuple[list[Send], Close]:
    """One sender per connected SmtpClient, each sending ``count`` messages in a row; and how to close."""
    from mailyard.mail.smtp_client import SmtpClient

    clients = [SmtpClient(relay) for _ in range(connections)]
    await asyncio.gather(*(client.connect() for client in clients))

    def sender(client: SmtpClient) -> Send:
        async def send(count: int) -> None:
            for _ in range(count):
                reply = await client.send("sender@example.com", ["rcpt@example.com"], data)
                if not reply.accepted:
                    raise RuntimeError(f"not accepted: {reply}")

        return send

    async def close() -> None:
        await asyncio.gather(*(client.quit() for client in clients))

    return [sender(client) for client in clients], close


async def _pool_senders(relay: Any, data: bytes, connections: int) -> tuple[list[Send], Close]:
    """``connections`` senders sharing one RelayPool (connections open on first use); and how to close."""
    from mailyard.domain.outcomes import OutcomeKind
    from mailyard.mail.relay_pool import RelayPool

    pool = RelayPool([relay])

    async def send(count: int) -> None:
        for _ in range(count):
            outcome = await pool.deliver("sender@example.com", "rcpt@example.com", data)
            if outcome.kind is not OutcomeKind.SENT:
                raise RuntimeError(f"not sent: {outcome}")

    return [send] * connections, pool.close


if __name__ == "__main__":
    main()
