"""SMTP submission: messages per second accepted (and committed) by Mailyard's submission listener from
Postfix's `smtp-source`, against `smtp-source` into Postfix's `smtp-sink` in the same run.

Usage: python bench/submission_rate.py [--databases sqlite,postgres] [--messages 20000] [--sessions 16]
                                       [--body 5120] [--limit 0.3] [--rounds 3]

`smtp-source` has no AUTH, so it submits from a trusted network (MAILYARD_SUBMISSION_TRUSTED) for the account
`default`; Tencent's per-account and per-recipient rates are raised out of the way, since they would measure
the limiter, not the path. `mailyard serve --api-only` accepts without sending: every 250 is a committed single
send (task, run, ledger row and the message as submitted). After the run the rows are counted: the benchmark
fails unless every message smtp-source sent was committed. Only ratios taken in one run mean anything here;
on a shared machine one round's ratio moves by a quarter either way, so the listener and the sink take turns
for `--rounds` rounds and the verdict is on the median ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import subprocess
import sys
import time

import harness

from mailyard.store import engine as engines

SENDER = "news@bench.example"


def main() -> None:
    arguments = _arguments()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    failed = False
    with harness.smtp_sink() as sink_port:
        for kind in arguments.databases.split(","):
            failed |= not _measure(kind, sink_port, arguments)
    sys.exit(1 if failed else 0)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--sessions", type=int, default=16, help="smtp-source sessions (-s), for both runs")
    parser.add_argument("--body", type=int, default=5120, help="message size in bytes (-l)")
    parser.add_argument("--limit", type=float, default=0.3, help="the ratio the listener must reach")
    parser.add_argument("--rounds", type=int, default=3, help="listener and sink runs, one after the other")
    return parser.parse_args()


def _measure(kind: str, sink_port: int, arguments: argparse.Namespace) -> bool:
    """Rounds of the listener, then smtp-source into the sink, one after the other (the machine's load moves
    both alike); the verdict is on the median of the rounds' ratios, with every message committed."""
    smtp_port = harness.free_port()
    extra = {
        "MAILYARD_SUBMISSION_SMTP": f"127.0.0.1:{smtp_port}",
        "MAILYARD_SUBMISSION_TRUSTED": "127.0.0.1/32",
        "MAILYARD_SUBMISSION_TRUSTED_ACCOUNT": "default",
        "MAILYARD_SUBMISSION_ACCOUNT_RATE": "1000000000",
        "MAILYARD_SUBMISSION_RECIPIENT_HOURLY": "1000000000",
    }
    ratios: list[float] = []
    with harness.database(kind) as url, harness.mailyard(url, None, extra) as instance:
        api = harness.Api(instance.port, instance.key())
        instance.start("serve", "serve", "--api-only")
        harness.wait_for_port(instance.port)
        harness.wait_for_port(smtp_port)
        api.post("/domains", domain="bench.example")
        api.post("/senders", address=SENDER, display_name="Bench News")
        for round_number in range(1, arguments.rounds + 1):
            cpu_before = instance.cpu_seconds()
            started = time.perf_counter()
            _source(smtp_port, arguments)
            elapsed = time.perf_counter() - started
            cpu = (instance.cpu_seconds()["serve"] - cpu_before["serve"]) / arguments.messages * 1e6
            theirs = harness.source_rate(
                sink_port, sessions=arguments.sessions, messages=arguments.messages, length=arguments.body
            )
            ours = arguments.messages / elapsed
            ratios.append(ours / theirs)
            print(
                f"[{kind}] round {round_number}: submission listener {ours:,.0f} msg/s ({elapsed:.1f} s, "
                f"{cpu:.0f} µs CPU a message); smtp-source -d -s {arguments.sessions} into smtp-sink {theirs:,.0f} "
                f"msg/s; ratio {ours / theirs:.3f}"
            )
        committed = asyncio.run(_committed(url or f"sqlite+aiosqlite:///{instance.data_dir / 'mailyard.db'}"))
    sent = arguments.messages * arguments.rounds
    ratio = statistics.median(ratios)
    print(f"[{kind}] committed {committed:,} of {sent:,} messages")
    verdict = "meets" if ratio >= arguments.limit and committed == sent else "MISSES"
    print(
        f"[{kind}] ratio: {ratio:.2f}, the median of {len(ratios)} rounds ({verdict} the target of "
        f"{arguments.limit:.2f} with every message committed)"
    )
    return verdict == "meets"


def _source(port: int, arguments: argparse.Namespace) -> None:
    command = [harness.SOURCE, "-d", "-s", str(arguments.sessions), "-m", str(arguments.messages)]
    command += ["-l", str(arguments.body), "-f", SENDER, "-t", "rcpt@example.org", f"127.0.0.1:{port}"]
    subprocess.run(command, check=True, timeout=3600)


async def _committed(url: str) -> int:
    """Messages committed as submitted (one row each in submitted_messages)."""
    from sqlalchemy import text

    engine = engines.create_engine(url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text("SELECT count(*) FROM submitted_messages"))).scalar_one())
    finally:
        await engine.dispose()


if __name__ == "__main__":
    main()
