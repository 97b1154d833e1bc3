"""End to end through Mailyard into Postfix's smtp-sink, against `smtp-source -d` into the same sink.

Usage: python bench/delivery_rate.py [--databases sqlite,postgres] [--recipients 100000] [--connections 16]
                                     [--workers 1] [--body 5120]

For each database: start `mailyard serve --api-only` and `mailyard worker` process(es) whose relay is the sink
with `connections` persistent connections, create the recipients through the native API (one list, uploaded
as one streamed CSV), time from the task's creation until the counters say every delivery is sent, then time
`smtp-source -d -s <connections>` with a message of the same size into the same sink. Prints both rates, their
ratio and each Mailyard process's peak RSS. Only ratios taken in one run mean anything on shared machines.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

import harness


def main() -> None:
    arguments = _arguments()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop everything it started, also on SIGTERM
    with harness.smtp_sink() as port:
        for kind in arguments.databases.split(","):
            _measure(kind, port, arguments)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=16, help="SMTP connections, shared by the workers")
    parser.add_argument("--workers", type=int, default=1, help="`mailyard worker` processes")
    parser.add_argument("--body", type=int, default=5120, help="template body size in bytes")
    parser.add_argument("--batch-size", type=int, default=0, help="MAILYARD_WORKER_BATCH_SIZE (0: default)")
    parser.add_argument("--concurrency", type=int, default=0, help="messages in flight per worker (0: connections)")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--no-dkim", action="store_true", help="send unsigned (the domain's key removed)")
    parser.add_argument("--no-source", action="store_true", help="skip smtp-source (RSS runs)")
    parser.add_argument("--rss-limit", type=float, default=0, help="MB each Mailyard process must stay under")
    return parser.parse_args()


def _measure(kind: str, port: int, arguments: argparse.Namespace) -> None:
    connections = arguments.connections
    # Equal concurrency: the workers share `connections` between them, as smtp-source's sessions are one pool.
    per_worker = max(1, connections // arguments.workers)
    relays = f"smtp://127.0.0.1:{port}?connections={per_worker}&helo=bench.example"
    # Messages in flight per worker (rendered, signed, waiting for or using a connection): as many as its
    # connections unless --concurrency says otherwise.
    extra = {"MAILYARD_WORKER_CONCURRENCY": str(arguments.concurrency or per_worker)}
    if arguments.batch_size:
        extra["MAILYARD_WORKER_BATCH_SIZE"] = str(arguments.batch_size)
    with harness.database(kind) as url, harness.mailyard(url, relays, extra) as instance:
        api = harness.Api(instance.port, instance.key())
        instance.start("serve", "serve", "--api-only")
        harness.wait_for_port(instance.port)
        template_id, body_size = api.prepare(arguments.body)
        if arguments.no_dkim:
            harness.drop_dkim_keys(url, instance.data_dir)
        started = time.perf_counter()
        list_ids = [api.recipient_list(1, 0, arguments.recipients)]
        print(f"[{kind}] {arguments.recipients} recipients uploaded in {time.perf_counter() - started:.1f} s")
        for number in range(arguments.workers):
            instance.start(f"worker-{number + 1}", "worker")
        time.sleep(3)  # workers up and idle: startup is not delivery
        cpu_before = instance.cpu_seconds()
        started = time.perf_counter()
        task_ids = [api.task(template_id, list_id) for list_id in list_ids]
        api.wait_sent(task_ids, arguments.recipients, instance, arguments.timeout)
        elapsed = time.perf_counter() - started
        cpu_after = instance.cpu_seconds()
        instance.stop()
        ours = arguments.recipients / elapsed
        if not arguments.no_source:
            theirs = harness.source_rate(port, sessions=connections, messages=arguments.recipients, length=body_size)
    signed = "unsigned" if arguments.no_dkim else "DKIM-signed"
    workers = f"{arguments.workers} worker(s) × {per_worker} connections"
    print(f"[{kind}] mailyard end to end, {signed}: {ours:,.0f} msg/s ({elapsed:.1f} s, {workers})")
    if not arguments.no_source:
        print(f"[{kind}] smtp-source -d -s {connections}: {theirs:,.0f} msg/s")
        print(f"[{kind}] ratio: {ours / theirs:.2f}")
    over = []
    for name, peak in instance.peaks.items():
        cpu = (cpu_after.get(name, 0.0) - cpu_before.get(name, 0.0)) / arguments.recipients * 1e6
        print(f"[{kind}] {name}: peak RSS {harness.megabytes(peak)}, {cpu:.0f} µs CPU per message")
        if arguments.rss_limit and peak > arguments.rss_limit * 2**20:
            over.append(name)
    if arguments.rss_limit:
        verdict = f"over {arguments.rss_limit:.0f} MB: {', '.join(over)}" if over else "all under"
        print(f"[{kind}] peak RSS {verdict} {arguments.rss_limit:.0f} MB")


if __name__ == "__main__":
    main()
