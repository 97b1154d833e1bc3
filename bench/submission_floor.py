"""The SMTP session's own ceiling: messages per second Postfix's `smtp-source` gets through Mailyard's SMTP server
session (`smtpd/session.py`, on the loop `serve` runs on) when the door stores nothing and answers every command
at once, against `smtp-source` into Postfix's `smtp-sink` in the same run.

Usage: python bench/submission_floor.py [--messages 20000] [--sessions 16] [--body 5120]

No submission listener can beat this figure: it is what is left for reading, checking and committing a
message. `make bench-submission` measures the whole path against the same `smtp-sink` figure.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time

import harness

from mailyard.cli.context import run
from mailyard.smtpd.listener import ListenerAddress, ListenerOptions, bound_port, start_listener, stop_listener


class AcceptEverything:
    """A door with no hooks: the session accepts every command, and DATA with `250 OK`."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--body", type=int, default=5120)
    arguments = parser.parse_args()
    ours, cpu = run(lambda: _through_session(arguments))
    with harness.smtp_sink() as sink_port:
        theirs = harness.source_rate(
            sink_port, sessions=arguments.sessions, messages=arguments.messages, length=arguments.body
        )
    print(f"session with a door that stores nothing: {ours:,.0f} msg/s ({cpu:.0f} µs CPU a message)")
    print(f"smtp-source -d -s {arguments.sessions} into smtp-sink: {theirs:,.0f} msg/s")
    print(f"ratio: {ours / theirs:.2f}")


async def _through_session(arguments: argparse.Namespace) -> tuple[float, float]:
    address = ListenerAddress(host="127.0.0.1", port=0, explicit=True)
    server = await start_listener(address, AcceptEverything(), ListenerOptions(name="floor"))
    assert server is not None
    command = [harness.SOURCE, "-d", "-s", str(arguments.sessions), "-m", str(arguments.messages)]
    command += ["-l", str(arguments.body), "-f", "news@bench.example", "-t", "rcpt@example.org"]
    command += [f"127.0.0.1:{bound_port(server)}"]
    try:
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        source = await asyncio.create_subprocess_exec(*command)
        if await source.wait() != 0:
            raise SystemExit("smtp-source failed")
        elapsed = time.perf_counter() - started
        cpu = (_cpu_seconds() - cpu_before) / arguments.messages * 1e6
    finally:
        await stop_listener(server)
    return arguments.messages / elapsed, cpu


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
