"""End to end through Mailyard into Postfix's smtp-sink, against `smtp-source -d` into the same sink.

Usage: python bench/delivery_rate.py [--databases sqlite,postgres] [--recipients 100000] [--connections 16]
                                     [--workers 1] [--body 5120] [--html [--no-tracking]]
       python bench/delivery_rate.py --compare-tracking [--repetitions 3] ...

For each database: start `mailyard serve --api-only` and `mailyard worker` process(es) whose relay is the sink
with `connections` persistent connections, create the recipients through the native API (one list, uploaded
as one streamed CSV), time from the task's creation until the counters say every delivery is sent, then time
`smtp-source -d -s <connections>` with a message of the same size into the same sink. Prints both rates, their
ratio and each Mailyard process's peak RSS. Only ratios taken in one run mean anything on shared machines.

`--html` gives the letter an HTML half with five links, tracked as by default; `--no-tracking` turns the
account's tracking off. `--compare-tracking` measures both in one run against the same processes and list:
tasks with tracking on and off, alternately (on/off, then off/on, ...), and prints the median rate of each and
what tracking costs the delivery rate (so the ratio, against the same smtp-source rate) against the 5 % limit.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import time

import harness

WARM_UP_RECIPIENTS = 500  #: of each of two untimed tasks (tracked and not) before --compare-tracking measures


def main() -> None:
    arguments = _arguments()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop everything it started, also on SIGTERM
    with harness.smtp_sink() as port:
        for kind in arguments.databases.split(","):
            if arguments.compare_tracking:
                _compare_tracking(kind, port, arguments)
            else:
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
    parser.add_argument("--html", action="store_true", help="a text and HTML letter with five links")
    parser.add_argument("--no-tracking", action="store_true", help="the account's open and click tracking off")
    parser.add_argument("--compare-tracking", action="store_true", help="tasks with tracking on and off, alternately")
    parser.add_argument("--repetitions", type=int, default=3, help="pairs of tasks with --compare-tracking")
    parser.add_argument("--loss-limit", type=float, default=0.05, help="what tracking may cost the delivery rate")
    return parser.parse_args()


def _relays_and_settings(port: int, arguments: argparse.Namespace) -> tuple[str, dict[str, str], int]:
    """The sink as relay with the workers' share of the connections, and the worker settings."""
    # Equal concurrency: the workers share `connections` between them, as smtp-source's sessions are one pool.
    per_worker = max(1, arguments.connections // arguments.workers)
    relays = f"smtp://127.0.0.1:{port}?connections={per_worker}&helo=bench.example"
    # Messages in flight per worker (rendered, signed, waiting for or using a connection): as many as its
    # connections unless --concurrency says otherwise.
    extra = {"MAILYARD_WORKER_CONCURRENCY": str(arguments.concurrency or per_worker)}
    if arguments.batch_size:
        extra["MAILYARD_WORKER_BATCH_SIZE"] = str(arguments.batch_size)
    return relays, extra, per_worker


def _compare_tracking(kind: str, port: int, arguments: argparse.Namespace) -> None:
    """Tasks of one list with tracking on and off, alternately, through the same processes."""
    relays, extra, per_worker = _relays_and_settings(port, arguments)
    rates: dict[bool, list[float]] = {True: [], False: []}
    cpus: dict[bool, list[float]] = {True: [], False: []}  #: the workers' CPU per message
    with harness.database(kind) as url, harness.mailyard(url, relays, extra) as instance:
        api = harness.Api(instance.port, instance.key())
        instance.start("serve", "serve", "--api-only")
        harness.wait_for_port(instance.port)
        template_id, body_size = api.prepare(arguments.body, html=True)
        if arguments.no_dkim:
            harness.drop_dkim_keys(url, instance.data_dir)
        list_id = api.recipient_list(1, 0, arguments.recipients)
        warm_up = api.recipient_list(2, arguments.recipients, WARM_UP_RECIPIENTS)
        for number in range(arguments.workers):
            instance.start(f"worker-{number + 1}", "worker")
        time.sleep(3)  # workers up and idle: startup is not delivery
        # A first task pays for opening the relay connections and the first compile, whichever way it tracks.
        warming = [api.task(template_id, warm_up, tracking=tracked) for tracked in (True, False)]
        api.wait_sent(warming, 2 * WARM_UP_RECIPIENTS, instance, arguments.timeout)
        for repetition in range(arguments.repetitions):
            for tracked in (True, False) if repetition % 2 == 0 else (False, True):
                rate, cpu = _timed_task(api, instance, template_id, list_id, tracked, arguments)
                rates[tracked].append(rate)
                cpus[tracked].append(cpu)
                state = "on " if tracked else "off"
                print(f"[{kind}] tracking {state}: {rate:,.0f} msg/s, {cpu:,.0f} µs worker CPU a message", flush=True)
        instance.stop()
        theirs = None
        if not arguments.no_source:
            theirs = harness.source_rate(
                port, sessions=arguments.connections, messages=arguments.recipients, length=body_size
            )
    _report_tracking(kind, arguments, rates, cpus, theirs, per_worker)


def _timed_task(
    api: harness.Api,
    instance: harness.Mailyard,
    template_id: int,
    list_id: int,
    tracked: bool,
    arguments: argparse.Namespace,
) -> tuple[float, float]:
    """One task to the whole list: its delivery rate, and the workers' CPU microseconds per message."""
    cpu_before = instance.cpu_seconds()
    started = time.perf_counter()
    task_id = api.task(template_id, list_id, tracking=tracked)
    api.wait_sent([task_id], arguments.recipients, instance, arguments.timeout)
    rate = arguments.recipients / (time.perf_counter() - started)
    cpu_after = instance.cpu_seconds()
    workers = [name for name in cpu_after if name.startswith("worker")]
    cpu = sum(cpu_after[name] - cpu_before.get(name, 0.0) for name in workers)
    return rate, cpu / arguments.recipients * 1e6


def _report_tracking(
    kind: str,
    arguments: argparse.Namespace,
    rates: dict[bool, list[float]],
    cpus: dict[bool, list[float]],
    theirs: float | None,
    per_worker: int,
) -> None:
    """Medians, and the loss from the pairs measured back to back (drift on a shared machine cancels out)."""
    on, off = statistics.median(rates[True]), statistics.median(rates[False])
    signed = "unsigned" if arguments.no_dkim else "DKIM-signed"
    workers = f"{arguments.workers} worker(s) × {per_worker} connections"
    print(f"[{kind}] {arguments.recipients} recipients a task, {signed}, text + HTML with 5 links, {workers}")
    print(f"[{kind}] medians of {arguments.repetitions}: tracking on {on:,.0f} msg/s, off {off:,.0f} msg/s")
    if theirs is not None:
        print(f"[{kind}] smtp-source -d -s {arguments.connections}: {theirs:,.0f} msg/s")
        print(f"[{kind}] ratio: {on / theirs:.3f} tracked, {off / theirs:.3f} untracked")
    cpu_on, cpu_off = statistics.median(cpus[True]), statistics.median(cpus[False])
    print(f"[{kind}] worker CPU a message: {cpu_on:,.0f} µs tracked, {cpu_off:,.0f} µs untracked")
    pairs = [1 - tracked / untracked for tracked, untracked in zip(rates[True], rates[False], strict=True)]
    loss = statistics.median(pairs)
    print(f"[{kind}] loss of each pair: {', '.join(f'{item:.1%}' for item in pairs)}")
    print(f"[{kind}] CPU tracking adds a message: {1 - cpu_off / cpu_on:.1%} of the tracked message's")
    verdict = "within" if loss <= arguments.loss_limit else "OVER"
    print(
        f"[{kind}] tracking costs {loss:.1%} of the delivery rate (median of pairs): {verdict} the "
        f"{arguments.loss_limit:.0%} limit"
    )


def _measure(kind: str, port: int, arguments: argparse.Namespace) -> None:
    connections = arguments.connections
    relays, extra, per_worker = _relays_and_settings(port, arguments)
    with harness.database(kind) as url, harness.mailyard(url, relays, extra) as instance:
        api = harness.Api(instance.port, instance.key())
        instance.start("serve", "serve", "--api-only")
        harness.wait_for_port(instance.port)
        template_id, body_size = api.prepare(arguments.body, html=arguments.html)
        if arguments.no_tracking:
            api.track(opens=False, clicks=False)
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
    if arguments.html:
        signed += ", text + HTML, tracking " + ("off" if arguments.no_tracking else "on")
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
