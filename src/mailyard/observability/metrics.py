"""The `Metrics` port over prometheus-client.

Each process keeps its own registry and serves it at `/metrics` (`serve`) or on `MAILYARD_WORKER_METRICS`
(`worker`). When several processes serve one port (e.g. behind a process manager), point
`PROMETHEUS_MULTIPROC_DIR` at an empty directory shared by them: prometheus-client then keeps the values in
files there and a scrape sums every process's counters.
"""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Relay replies take from milliseconds (a local outbox) to the SMTP timeout; API requests are much faster.
RELAY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class PrometheusMetrics:
    """Every series Mailyard exports; label values come only from small closed sets (see ports.Metrics)."""

    def __init__(self, multiprocess_dir: Path | None = None) -> None:
        # In multiprocess mode the values live in files and the exported registry reads them all.
        own = CollectorRegistry(auto_describe=True)
        self.registry = own
        if multiprocess_dir is not None:
            self.registry = CollectorRegistry()
            MultiProcessCollector(self.registry, path=str(multiprocess_dir))  # type: ignore[no-untyped-call]
        self._deliveries = Counter(
            "mailyard_deliveries", "Delivery attempts recorded, by outcome", ["outcome"], registry=own
        )
        self._relay_seconds = Histogram(
            "mailyard_relay_reply_seconds",
            "Time from handing a copy to the relay (or outbox) to its reply, by reply class",
            ["reply_class"],
            buckets=RELAY_BUCKETS,
            registry=own,
        )
        self._queue_open = Gauge(
            "mailyard_queue_open_deliveries",
            "Deliveries queued or being sent",
            registry=own,
            multiprocess_mode="mostrecent",
        )
        self._queue_oldest = Gauge(
            "mailyard_queue_oldest_age_seconds",
            "How long the longest-waiting open delivery has waited",
            registry=own,
            multiprocess_mode="mostrecent",
        )
        self._requests = Counter(
            "mailyard_api_requests",
            "API requests, by door, action and status class",
            ["door", "action", "status"],
            registry=own,
        )
        self._request_seconds = Histogram(
            "mailyard_api_request_seconds",
            "API request latency, by door and action",
            ["door", "action"],
            buckets=REQUEST_BUCKETS,
            registry=own,
        )
        self._loop_failures = Counter(
            "mailyard_loop_failures", "Failed steps of background loops, by loop", ["loop"], registry=own
        )
        self._events = Counter("mailyard_events", "Delivery events recorded, by kind", ["kind"], registry=own)
        self._webhooks = Counter("mailyard_webhooks", "Webhook posts, by outcome", ["outcome"], registry=own)
        self._webhooks_pending = Gauge(
            "mailyard_webhook_queue_pending",
            "Webhooks waiting to be posted (retries included)",
            registry=own,
            multiprocess_mode="mostrecent",
        )
        self._webhooks_oldest = Gauge(
            "mailyard_webhook_queue_oldest_age_seconds",
            "How long the longest-waiting webhook has waited since it was queued",
            registry=own,
            multiprocess_mode="mostrecent",
        )

    def deliveries_recorded(self, outcome: str, count: int) -> None:
        self._deliveries.labels(outcome).inc(count)

    def relay_answered(self, reply_class: str, seconds: float) -> None:
        self._relay_seconds.labels(reply_class).observe(seconds)

    def loop_failed(self, loop: str) -> None:
        self._loop_failures.labels(loop).inc()

    def request_served(self, door: str, action: str, status: int, seconds: float) -> None:
        self._requests.labels(door, action, f"{status // 100}xx").inc()
        self._request_seconds.labels(door, action).observe(seconds)

    def queue_sampled(self, depth: int, oldest_age_seconds: float) -> None:
        self._queue_open.set(depth)
        self._queue_oldest.set(oldest_age_seconds)

    def events_recorded(self, kind: str, count: int) -> None:
        self._events.labels(kind).inc(count)

    def webhooks_posted(self, outcome: str, count: int) -> None:
        self._webhooks.labels(outcome).inc(count)

    def webhook_queue_sampled(self, pending: int, oldest_age_seconds: float) -> None:
        self._webhooks_pending.set(pending)
        self._webhooks_oldest.set(oldest_age_seconds)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
